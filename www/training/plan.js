// What a training run fetches and checks, declared once: the data files (tools/training-data.mjs
// writes them), and the test digits of the curves and the epoch checks. The training worker uses
// these numbers; the card and its summary name them.

/** Training digits per file, and the files' names (gzip IDX, www/data/train/). */
export const CHUNK = 10_000;
export const trainFiles = (k) => [`train-${k}-images-idx3-ubyte.gz`, `train-${k}-labels-idx1-ubyte.gz`];
/** The held-out test digits a run downloads (the first of MNIST's test set), and their files. */
export const TEST_DIGITS = 1_000;
export const TEST_FILES = ['test-images-idx3-ubyte.gz', 'test-labels-idx1-ubyte.gz'];
/** About what one training file and the test files weigh, for the progress bar and the card's choices. */
export const CHUNK_BYTES = 1.61e6;
export const TEST_BYTES = 1.56e5;

/** Batches between two clean-accuracy points of the curve, on this many test digits. */
export const ACCURACY_EVERY = 50;
export const ACCURACY_DIGITS = 500;
/** Test digits of the PGD part of each epoch's check (PGD costs ten gradients per digit). */
export const PGD_DIGITS = 200;
