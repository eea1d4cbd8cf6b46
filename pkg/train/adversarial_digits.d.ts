/* tslint:disable */
/* eslint-disable */

/**
 * A loaded network on one backend.
 */
export class Engine {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Runs an attack on a batch (784 pixels per image, one true label each) and resolves to a
     * `Uint32Array` of the labels the network gives the adversarial images: what robustness
     * curves need, in one batched run and one read-back.
     */
    attackLabels(pixels: Float32Array | number[], labels: Uint32Array | number[], options: any): Promise<any>;
    /**
     * Runs an attack on one image (784 pixels) whose true label is `label`. `options`:
     * `{method` (a name of the catalogue, `attackMethods()`)`, eps, steps, alpha, restarts,
     * target, seed, recordEvery, queries, start, ...}`. `on_progress`, if given, is called as a
     * black-box attack searches (see `progress_watcher`).
     */
    attack(pixels: Float32Array | number[], label: number, options: any, on_progress?: Function | null): Promise<any>;
    /**
     * AutoAttack's chain (`crate::attacks::autoattack`: APGD-CE, APGD-T, FAB-T, Square) at `eps`
     * (L∞) on a batch (784 pixels and one label per image): resolves to `{clean: boolean[],
     * robust: boolean[], stages: [{name, robust, index, total}]}`, each stage's `robust` the
     * share of digits still standing after it (`clean` is stage 0 of `total`).
     * `on_progress` receives each stage's entry as it ends.
     */
    autoAttack(pixels: Float32Array | number[], labels: Uint32Array | number[], eps: number, on_progress?: Function | null): Promise<any>;
    /**
     * Probabilities for one or more 28x28 images (784 values each, in [0, 1]): resolves to a
     * `Float32Array` of 10 values per image.
     */
    classify(pixels: Float32Array | number[]): Promise<any>;
    /**
     * Loads safetensors weights on `"webgpu"` or `"cpu"` (burn's flex backend).
     * Rejects with a readable message if the backend or the weights are unusable.
     */
    static create(weights_bytes: Uint8Array | number[], backend: string): Promise<Engine>;
    /**
     * Fooling images for each of `classes` found by evolution from the network's scores alone
     * (`crate::visualize::evolution`): resolves to `{pixels, probabilities, queries: number[],
     * generations, success: boolean[]}`. `options`: `{population, sigma, confidence, queries,
     * seed}`; `on_progress` as for `attack`, with every class's fittest image so far.
     */
    evolveFoolingImages(classes: Uint32Array | number[], options: any, on_progress?: Function | null): Promise<any>;
    /**
     * The activations of every layer for one image: resolves to
     * `[{name, channels, height, width, values}]` (conv1, conv2, hidden, logits).
     */
    featureMaps(pixels: Float32Array | number[]): Promise<any>;
    /**
     * The first layer's 5x5 filters: resolves to `{name, channels, height, width, values}`.
     */
    filters(): Promise<any>;
    /**
     * Fooling images from noise for each of `classes`: resolves to `{pixels, probabilities,
     * steps, success: boolean[]}`. `options`: `{steps, stepSize, confidence, checkEvery, seed}`.
     */
    foolingImages(classes: Uint32Array | number[], options: any): Promise<any>;
    /**
     * Gradient of the cross-entropy loss of `label` with respect to the 784 input pixels.
     */
    gradient(pixels: Float32Array | number[], label: number): Promise<any>;
    /**
     * The smallest `eps` (bisection up to `upper`) at which the attack still flips the digit:
     * `{eps, result}`, or `null` if even `upper` does not.
     */
    minimalEpsilon(pixels: Float32Array | number[], label: number, options: any, upper: number, iterations: number): Promise<any>;
    /**
     * A saliency map per image for `classes[i]`: resolves to a `Float32Array` of 784 values per
     * image. `method`: 'gradient' | 'smoothgrad' | 'gradient-x-input' | 'integrated-gradients';
     * `options`: `{samples, noise, steps, seed}`.
     */
    saliency(pixels: Float32Array | number[], classes: Uint32Array | number[], method: string, options: any): Promise<any>;
    /**
     * How often the adversarial image `pixels` (784) survives `transformations` random
     * print-and-camera transformations (`crate::attacks::eot`, from `seed`): resolves to the
     * share (0-1) under which the network still reads it as the goal wants (the `target`, or any
     * digit but `label`).
     */
    survival(pixels: Float32Array | number[], label: number, target: number | null | undefined, transformations: number, seed: number): Promise<any>;
    /**
     * Activation maximisation for each of `classes`: resolves to `{pixels, probabilities}`
     * (784 and 10 values per class). `start` (784 per class) continues an earlier run, whose
     * steps so far are `firstStep` (pass `null` and 0 to start from the seeded noise).
     * `options`: `{steps, learningRate, decay, jitter, blurEvery, seed}`.
     */
    visualizeClasses(classes: Uint32Array | number[], options: any, start: Float32Array | number[] | null | undefined, first_step: number): Promise<any>;
    /**
     * `"webgpu"` or `"cpu"`.
     */
    readonly backend: string;
}

/**
 * One training run on one backend.
 */
export class Training {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Clean accuracy of the network as it is now on the first `digits` test digits (the curve
     * between epochs).
     */
    accuracy(digits: number): Promise<any>;
    /**
     * The end-of-epoch check: clean accuracy on the test digits, PGD accuracy at the training
     * radius on the first `pgdDigits` of them when training adversarially, and the
     * catastrophic-overfitting guard. Resolves to `{epoch, cleanAccuracy, pgdAccuracy, collapsed}`.
     */
    check(pgd_digits: number): Promise<any>;
    /**
     * Starts training on `backend` (`"cpu"` or `"webgpu"`) with `options` (every field of
     * `TrainingOptions`), on the IDX pair `images`/`labels` (their first `options.digits`),
     * checked on `checkImages`/`checkLabels` (test digits). `start`: safetensors weights to go
     * on from; a fresh network without.
     */
    static create(backend: string, options: any, images: Uint8Array | number[], labels: Uint8Array | number[], check_images: Uint8Array | number[], check_labels: Uint8Array | number[], start?: Uint8Array | number[] | null): Promise<Training>;
    /**
     * The first `count` images of the last batch trained on (adversarial examples when
     * training adversarially): a `Float32Array` of 784 values each.
     */
    examples(count: number): Promise<any>;
    /**
     * One batch: resolves to `{epoch, batch, batches, loss, epochEnd, finished}` (`epochEnd`:
     * time for `check`).
     */
    step(): Promise<any>;
    /**
     * The trained network (the best checked epoch's under the guard) as safetensors bytes in
     * the README's PyTorch layout, `description` in the metadata: a `Uint8Array`.
     */
    weights(description: string): Promise<any>;
    /**
     * Batches per epoch.
     */
    readonly batches: number;
}

/**
 * The attacks' catalogue ([`crate::attacks::MethodInfo`], one entry per method): `[{name, norm,
 * targeted, iterative, eps, evaluationEps, steps, defaultSteps, pixels}]`, the ranges as
 * `{min, max, step, value}` or null. The page builds its method picker and sliders from it.
 */
export function attackMethods(): any;

/**
 * Checks training options (every field of [`TrainingOptions`]); throws the reason they are bad.
 */
export function checkTrainingOptions(options: any): void;

/**
 * Checks a weights file without loading it; throws the reason it is unusable.
 */
export function checkWeights(bytes: Uint8Array | number[]): void;

/**
 * Whether this build includes the WebGPU backend.
 */
export function hasWebGpu(): boolean;

/**
 * Reads a pair of MNIST IDX files (the page's sample strip): `{pixels: Float32Array(n * 784),
 * labels: Uint8Array(n)}`, or throws what is wrong with them.
 */
export function parseMnist(images: Uint8Array | number[], labels: Uint8Array | number[]): any;

/**
 * Sizes of the change from `original` to `candidate` (784 values each), as the attacks measure
 * them: `{l0, l2, linf, ssim}` (L0 counts pixels moved by more than a tenth of a grey level).
 */
export function perturbationNorms(original: Float32Array | number[], candidate: Float32Array | number[]): any;

/**
 * MNIST-style preprocessing of an RGBA picture: resolves to
 * `{pixels: Float32Array(784), inverted, inkBox: [x, y, w, h]}`, or throws with the reason
 * (a blank picture, a wrong size).
 */
export function preprocessRgba(rgba: Uint8Array | number[], width: number, height: number): any;

/**
 * `original + noise`, where the noise is random but as large as `perturbation` in `norm`
 * (`'L∞'`, `'L2'` or `'L0'`), clipped to [0, 1].
 */
export function randomNoiseLike(original: Float32Array | number[], perturbation: Float32Array | number[], norm: string, seed: number): Float32Array;

/**
 * Installs the host's checkpoint hook ([`crate::pace`]) for the calls that follow: every long
 * computation calls `hook()` often (after each read-back and each iterative step); it returns
 * `undefined` to go on at once, or a promise that resolves, once the host has let its messages
 * in, to `true` if the call running has been cancelled (the call then fails with "the operation
 * was cancelled"). `null` removes it. The engine's worker installs one per call.
 */
export function setPace(hook?: Function | null): void;

/**
 * Identifies an uploaded file from its header: `{format, width, height}`, or throws a message
 * for readers (not an image, damaged, too large).
 */
export function sniffImage(bytes: Uint8Array | number[]): any;

export function start(): void;

/**
 * How far each setting may go (`{epochs: [min, max], batchSize, steps, warmupEpochs, digits,
 * learningRateMax, lrDecayMax, epsMax}`, [`crate::training::LIMITS`]): the card's inputs' bounds,
 * the same the check below applies.
 */
export function trainingLimits(): any;

/**
 * The presets (`[{name, title, options}]`, [`crate::training::PRESETS`]): the card's buttons
 * and the API's `train({preset})`.
 */
export function trainingPresets(): any;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly __wbg_engine_free: (a: number, b: number) => void;
    readonly __wbg_training_free: (a: number, b: number) => void;
    readonly attackMethods: () => [number, number, number];
    readonly checkTrainingOptions: (a: any) => [number, number];
    readonly checkWeights: (a: number, b: number) => [number, number];
    readonly engine_attack: (a: number, b: number, c: number, d: number, e: any, f: number) => any;
    readonly engine_attackLabels: (a: number, b: number, c: number, d: number, e: number, f: any) => any;
    readonly engine_autoAttack: (a: number, b: number, c: number, d: number, e: number, f: number, g: number) => any;
    readonly engine_backend: (a: number) => [number, number];
    readonly engine_classify: (a: number, b: number, c: number) => any;
    readonly engine_create: (a: number, b: number, c: number, d: number) => any;
    readonly engine_evolveFoolingImages: (a: number, b: number, c: number, d: any, e: number) => any;
    readonly engine_featureMaps: (a: number, b: number, c: number) => any;
    readonly engine_filters: (a: number) => any;
    readonly engine_foolingImages: (a: number, b: number, c: number, d: any) => any;
    readonly engine_gradient: (a: number, b: number, c: number, d: number) => any;
    readonly engine_minimalEpsilon: (a: number, b: number, c: number, d: number, e: any, f: number, g: number) => any;
    readonly engine_saliency: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: any) => any;
    readonly engine_survival: (a: number, b: number, c: number, d: number, e: number, f: number, g: number) => any;
    readonly engine_visualizeClasses: (a: number, b: number, c: number, d: any, e: number, f: number, g: number) => any;
    readonly hasWebGpu: () => number;
    readonly parseMnist: (a: number, b: number, c: number, d: number) => [number, number, number];
    readonly perturbationNorms: (a: number, b: number, c: number, d: number) => [number, number, number];
    readonly preprocessRgba: (a: number, b: number, c: number, d: number) => [number, number, number];
    readonly randomNoiseLike: (a: number, b: number, c: number, d: number, e: number, f: number, g: number) => [number, number, number];
    readonly setPace: (a: number) => void;
    readonly sniffImage: (a: number, b: number) => [number, number, number];
    readonly start: () => void;
    readonly trainingLimits: () => [number, number, number];
    readonly trainingPresets: () => [number, number, number];
    readonly training_accuracy: (a: number, b: number) => any;
    readonly training_batches: (a: number) => number;
    readonly training_check: (a: number, b: number) => any;
    readonly training_create: (a: number, b: number, c: any, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number, m: number) => any;
    readonly training_examples: (a: number, b: number) => any;
    readonly training_step: (a: number) => any;
    readonly training_weights: (a: number, b: number, c: number) => any;
    readonly wasm_bindgen__convert__closures_____invoke__h60702a48838d1764: (a: number, b: number, c: any) => [number, number];
    readonly wasm_bindgen__convert__closures_____invoke__hb98d63cc49481475: (a: number, b: number, c: any, d: any) => void;
    readonly __wbindgen_malloc: (a: number, b: number) => number;
    readonly __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
    readonly __wbindgen_free: (a: number, b: number, c: number) => void;
    readonly __wbindgen_exn_store: (a: number) => void;
    readonly __externref_table_alloc: () => number;
    readonly __wbindgen_externrefs: WebAssembly.Table;
    readonly __wbindgen_destroy_closure: (a: number, b: number) => void;
    readonly __externref_table_dealloc: (a: number) => void;
    readonly __wbindgen_start: () => void;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
