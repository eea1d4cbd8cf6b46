// Types for adversarial-digits' JavaScript API: `window.adversarialDigits` (defined by the page,
// and by www/embed.js on any page with <adversarial-digits>), the same functions as the exports
// of www/api.js, the events the demos fire, and the <adversarial-digits> element.
//
//   /// <reference path="https://…/www/api.d.ts" />   or copy this file beside your code
//   const { label } = await adversarialDigits.classify(pixels);

/** 784 grey levels in [0, 1], row by row, white ink on black (MNIST's convention). */
export type Pixels = Float32Array | ArrayLike<number>;
/** A class of the network: 0 to 9. */
export type Digit = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
export type Backend = 'webgpu' | 'cpu';
/** The networks: trained on clean digits, adversarially trained, gradient-masked, or the reader's own (trained in the tab or loaded). */
export type ModelName = 'standard' | 'robust' | 'masked' | 'yours';
/** The attacks: the names of the engine's catalogue (src/attacks/catalogue.rs; tests/catalogue.rs checks this list). */
export type AttackMethod = 'fgsm' | 'bim' | 'pgd' | 'pgd-l2' | 'mi-fgsm' | 'deepfool' | 'cw' | 'jsma' | 'few-pixel' | 'simba' | 'square' | 'square-l2' | 'apgd' | 'fab' | 'bpda' | 'hopskipjump';

/** A parameter's range in the page and its starting value. */
export interface ParameterRange {
  min: number;
  max: number;
  step: number;
  value: number;
}

/** One entry of the attacks' catalogue (`adversarialDigits.attackMethods`). */
export interface AttackMethodInfo {
  name: AttackMethod;
  norm: 'L∞' | 'L2' | 'L0';
  targeted: 'optional' | 'required' | 'never';
  iterative: boolean;
  /** The budget's range (null for the methods that minimise the change). */
  eps: ParameterRange | null;
  /** The budget the CLI and evaluations use by default (the papers' MNIST settings). */
  evaluationEps: number;
  /** The iterations' range (null where the page has no slider for them). */
  steps: ParameterRange | null;
  defaultSteps: number;
  /** few-pixel: how many pixels may change (null for the others). */
  pixels: ParameterRange | null;
  /** What of the network it reads: its gradient (white-box), or only its scores or its top label (black-box). */
  access: 'gradient' | 'scores' | 'label';
  /** square, hopskipjump: the query budget's range (null for the others). */
  queries: ParameterRange | null;
  /** bim, pgd: expectation over transformation (`eot`): its defaults and the transformations' ranges; null for the others. */
  eot: EotInfo | null;
}
/** Expectation over transformation, as src/attacks/eot.rs declares it. */
export interface EotInfo {
  /** Transformations averaged per step by default. */
  samples: number;
  /** Transformations the survival check draws by default. */
  survivalTransformations: number;
  shiftPixels: number;
  rotationDegrees: number;
  scale: [number, number];
  contrast: [number, number];
  brightness: [number, number];
}
export type SaliencyMethod = 'gradient' | 'smoothgrad' | 'gradient-x-input' | 'integrated-gradients';

export interface Norms {
  /** Pixels changed by more than a tenth of a grey level. */
  l0: number;
  l2: number;
  linf: number;
  /** Structural similarity to the original (Wang et al. 2004): 1 when it looks the same. */
  ssim: number;
}

export interface Classification {
  label: number;
  /** Ten probabilities, one per digit. */
  probabilities: number[];
}

/** The digit a demo shows. */
export interface CurrentDigit {
  pixels: Float32Array;
  label: number;
  probabilities: number[];
  /** Where it came from. */
  source: 'draw' | 'upload' | 'camera' | 'sample' | 'link' | 'api';
  caption?: string;
}

export interface AttackOptions {
  /** Default: the digit on the page. */
  pixels?: Pixels;
  /** The true label. Default: what the network reads. */
  label?: number;
  /** Default 'fgsm'. */
  method?: AttackMethod;
  /** The network attacked. Default: setModel's choice, else the page's. */
  model?: ModelName;
  /** The budget: L∞ for fgsm, bim, pgd, mi-fgsm, square, apgd, bpda; L2 for pgd-l2 and square-l2; simba's step. Default: the method's `evaluationEps`. */
  eps?: number;
  /** A digit to aim at; null or absent: any wrong digit (jsma: the next digit). */
  target?: number | null;
  /** Iterations (the iterative methods, C&W per search step, DeepFool's maximum, the pixels simba tries). Default: the method's `defaultSteps`. */
  steps?: number;
  /** Step size of bim, pgd, pgd-l2 and mi-fgsm (default: from eps and steps). */
  alpha?: number;
  /** Seed of random starts. */
  seed?: number;
  /** Keep every n-th iterate in `frames` (0: none). */
  recordEvery?: number;
  // Each method's own parameters (src/attacks/<method>.rs):
  /** pgd: random restarts, the strongest kept. */
  restarts?: number;
  /** mi-fgsm: the decay factor μ. */
  momentum?: number;
  /** deepfool: how far past the boundary each step goes. */
  overshoot?: number;
  /** cw: binary search steps over c. */
  searchSteps?: number;
  /** cw: the first c. */
  initialC?: number;
  /** cw: the confidence margin κ. */
  confidence?: number;
  /** cw: Adam's learning rate. */
  learningRate?: number;
  /** jsma: the largest fraction of pixels that may change. */
  maxFraction?: number;
  /** few-pixel: the most pixels it may change. */
  pixelsBudget?: number;
  /** square, square-l2, hopskipjump: the query budget, the images it may ask the network about (default: the method's, 1000 and 5000). */
  queries?: number;
  /** square, square-l2: the share of the image its first squares cover (default 0.8). */
  pInit?: number;
  /** fab: the largest weight of its step towards the original digit (0.1). */
  alphaMax?: number;
  /** fab: how far past the linearised boundary each projection goes (1.05). */
  eta?: number;
  /** fab: the shrink towards the original after an adversarial step (0.9). */
  beta?: number;
  /** fab: runs, the later ones from random points (1). */
  fabRestarts?: number;
  /** hopskipjump: where the search starts, an image the network already reads as the goal wants (784 values); needed with a `target` (for example a digit of that class). Default: random noise the network misreads. */
  start?: Pixels | null;
  /** The black-box attacks (simba, square, square-l2, hopskipjump): called as the search goes, at most every 50 ms, with the queries so far and the best image so far (and its probabilities, null for hopskipjump, which sees labels only). */
  onProgress?: (progress: SearchProgress) => void;
  /** bim, pgd: average each step's gradient over this many random print-and-camera transformations (expectation over transformation; 0: off). */
  eot?: number;
  /** apgd: the loss it climbs, cross-entropy or the difference of logits ratio (default: 'ce' untargeted, 'dlr' targeted). */
  loss?: 'ce' | 'dlr' | null;
  /** Cancels the attack: the promise rejects with an AbortError and the engine stops the work. */
  signal?: AbortSignal;
}

/** How far a black-box search got: what `onProgress` receives. */
export interface SearchProgress {
  /** Images asked about so far. */
  queries: number;
  /** The best image so far (784 values per image; for evolved fooling images, one per target). */
  pixels: Float32Array;
  /** The network's probabilities for it (10 per image); null where the attack sees labels only. */
  probabilities: Float32Array | null;
}

/** Cancels a call: its promise rejects with a DOMException named 'AbortError'. */
export interface Cancellable {
  signal?: AbortSignal;
}

/** A call on one network: `model` (default: setModel's choice, else the page's). */
export interface OnNetwork extends Cancellable {
  model?: ModelName;
}

export interface AttackResult {
  method: AttackMethod;
  /** The adversarial image, clipped to [0, 1]. */
  pixels: Float32Array;
  /** `pixels` minus the original. */
  noise: Float32Array;
  /** What the network reads now. */
  label: number;
  probabilities: Float32Array;
  norms: Norms;
  /** Iterations used. */
  steps: number;
  /** The black-box attacks (simba, square, square-l2, hopskipjump): the images they asked the network about. Null for the others. */
  queries: number | null;
  /** Whether the attack reached its goal: the target, or any wrong digit. */
  success: boolean;
  /** Recorded iterates (see `recordEvery`). */
  frames: Float32Array[];
}

export interface SaliencyOptions extends Cancellable {
  /** Default: the digit on the page. */
  pixels?: Pixels;
  /** The class to explain. Default: what the network reads. */
  label?: number;
  method: SaliencyMethod;
  model?: ModelName;
  /** smoothgrad: how many noisy copies, and their standard deviation. */
  samples?: number;
  noise?: number;
  /** integrated-gradients: steps from the black image. */
  steps?: number;
  seed?: number;
}

export interface SaliencyResult {
  /** One value per pixel (784): positive where the pixel raises the score of `label`. */
  map: Float32Array;
  label: number;
  method: SaliencyMethod;
}

export interface VisualizeClassOptions extends Cancellable {
  target: number;
  steps?: number;
  seed?: number;
  model?: ModelName;
  learningRate?: number;
  decay?: number;
  jitter?: number;
  blurEvery?: number;
}

export interface VisualizeClassResult {
  pixels: Float32Array;
  probabilities: Float32Array;
  steps: number;
}

export interface FoolingImageOptions extends Cancellable {
  target: number;
  /** Find it by evolution from the network's scores alone (Nguyen et al. 2015's way), not by the gradient. */
  evolve?: boolean;
  /** Gradient steps (default 300). */
  steps?: number;
  seed?: number;
  /** The probability of `target` to reach (default 0.99). */
  confidence?: number;
  stepSize?: number;
  /** evolve: children per generation (default 20). */
  population?: number;
  /** evolve: the mutation's standard deviation (default 0.1). */
  sigma?: number;
  /** evolve: the most images it may show the network (default 20000). */
  queries?: number;
  /** evolve: called each generation (at most every 50 ms) with the fittest image so far. */
  onProgress?: (progress: SearchProgress) => void;
  model?: ModelName;
}

export interface FoolingImageResult {
  pixels: Float32Array;
  probabilities: Float32Array;
  /** Gradient steps taken (0 for evolution). */
  steps: number;
  /** evolve: the images shown to the network (null for the gradient version). */
  queries: number | null;
  /** Whether `confidence` was reached. */
  success: boolean;
}

export interface FeatureMap {
  name: string;
  channels: number;
  width: number;
  height: number;
  /** channels × height × width values, channel by channel, row by row. */
  values: Float32Array;
}

export interface FeatureMapsResult {
  layers: FeatureMap[];
  /** The first layer's filters. */
  filters: FeatureMap;
}

export interface AdversarialDigitsApi {
  /** Resolves (to this object) once the network is loaded; rejects if it cannot be. */
  readonly ready: Promise<AdversarialDigitsApi>;
  /** Loads the network on a page without a demo (a course sheet); resolves like `ready`. */
  load(): Promise<AdversarialDigitsApi>;
  /** Where the network runs now (null while loading). */
  readonly backend: Backend | null;
  /** Why the CPU runs, when it does. */
  readonly fallbackReason: string | null;
  /** Where work on several digits runs, once measured on this machine (null before). */
  readonly batchRouting: BatchRouting | null;
  /** Where each class of work runs, once measured on this machine (null before, and without WebGPU). */
  readonly routing: Routing | null;
  /** 'worker': the network runs in its own thread; 'page': in the page's (no workers here). */
  readonly where: 'worker' | 'page' | null;
  /** The attacks' catalogue (null while loading). */
  readonly attackMethods: AttackMethodInfo[] | null;
  /** The network later calls use (see setModel). */
  readonly model: ModelName;
  /** Chooses the network for later calls; null: the page's own. */
  setModel(name: ModelName | null): void;
  classify(pixels: Pixels, options?: OnNetwork): Promise<Classification>;
  /** ∂ loss(label) / ∂ pixel: 784 values. */
  gradient(pixels: Pixels, label: number, options?: OnNetwork): Promise<Float32Array>;
  attack(options?: AttackOptions): Promise<AttackResult>;
  /** The digit the demo the reader used last shows, or null. */
  current(): CurrentDigit | null;
  saliency(options: SaliencyOptions): Promise<SaliencyResult>;
  visualizeClass(options: VisualizeClassOptions): Promise<VisualizeClassResult>;
  foolingImage(options: FoolingImageOptions): Promise<FoolingImageResult>;
  featureMaps(options?: { pixels?: Pixels; model?: ModelName } & Cancellable): Promise<FeatureMapsResult>;
  /** The share (0-1) of random print-and-camera transformations under which `pixels` still fools the network (reads as wrong, or as `target`). */
  survival(options: { pixels?: Pixels; label: number; target?: number | null; transformations?: number; seed?: number; model?: ModelName } & Cancellable): Promise<number>;
  /** Trains the reader's own network in the tab; it becomes 'yours' (kept in this browser). */
  train(options?: TrainOptions): Promise<TrainingSummary>;
  trainingPresets(): Promise<TrainingPreset[]>;
  /** The reader's own network as safetensors bytes (the README's PyTorch layout), or null. */
  yourNetwork(): Promise<{ weights: Uint8Array; summary: string | null } | null>;
  forgetYourNetwork(): Promise<void>;
}

/** Training settings (src/training.rs, TrainingOptions). */
export interface TrainingOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Learning-rate multiplier after each epoch. */
  lrDecay: number;
  /** 'clean'; 'fgsm': FGSM from a random start (Wong et al. 2020); 'pgd': PGD-k (Madry et al. 2017). */
  defence: 'clean' | 'fgsm' | 'pgd';
  /** L∞ radius of the training perturbations. */
  eps: number;
  /** PGD's k. */
  steps: number;
  /** Epochs over which ε grows from 0. */
  warmupEpochs: number;
  /** Training digits (the first of MNIST's 60,000). */
  digits: number;
  seed: number;
}

export interface TrainingPreset {
  name: 'quick' | 'defended-0.1' | 'defended-0.3';
  title: string;
  options: TrainingOptions;
}

/** What `train({onProgress})` hears (www/training/training-client.js lists every message). */
export type TrainingEvent =
  | { type: 'data'; loaded: number; total: number }
  | { type: 'ready'; backend: Backend; reason: string; cpuMs: number | null; webgpuMs: number | null; batches: number; digits: number }
  | { type: 'step'; epoch: number; batch: number; batches: number; loss: number; step: number; totalSteps: number; imagesPerSecond: number; secondsLeft: number; epochEnd: boolean; finished: boolean }
  | { type: 'accuracy'; step: number; cleanAccuracy: number }
  | { type: 'check'; step: number; epoch: number; cleanAccuracy: number; pgdAccuracy: number | null; collapsed: boolean }
  | { type: 'examples'; step: number; pixels: Float32Array }
  | { type: 'paused' };

export interface TrainOptions extends Partial<TrainingOptions>, Cancellable {
  preset?: TrainingPreset['name'];
  /** Where to train: 'auto' (a measured step decides), 'cpu' or 'webgpu'. */
  backend?: 'auto' | Backend;
  onProgress?: (event: TrainingEvent) => void;
}

export interface TrainingSummary {
  backend: Backend;
  options: TrainingOptions;
  epochs: number;
  seconds: number;
  imagesPerSecond: number;
  /** On 1,000 test digits after the last epoch. */
  cleanAccuracy: number | null;
  /** Under PGD-10 at the training ε on 200 test digits (adversarial training only). */
  pgdAccuracy: number | null;
  /** The catastrophic-overfitting guard stopped training and kept the best earlier epoch. */
  collapsed: boolean;
}

// Events. Each demo fires them at its root element (for an embed: the <adversarial-digits>
// element); they bubble and cross shadow roots, so a listener on `window` hears every demo.

export interface BackendEventDetail {
  backend: Backend;
  fallbackReason: string | null;
  batchRouting: BatchRouting | null;
  routing: Routing | null;
}

/**
 * Where batches (robustness curves, galleries, batch classification) run. Measured once, after
 * WebGPU took over: FGSM on `images` digits, timed on both backends after a warm-up run;
 * `forced` under ?backend=webgpu (no measurement).
 */
export type BatchRouting =
  | { backend: Backend; images: number; cpuMs: number; webgpuMs: number | null; forced?: undefined }
  | { backend: 'webgpu'; forced: true };

/** Where one class of work runs: measured on both backends (after a warm-up run), or forced. */
export type WorkRouting =
  | { backend: Backend; cpuMs: number | null; webgpuMs: number | null; forced?: undefined }
  | { backend: 'webgpu'; forced: true };

/** Each class of work, routed on its own: a single prediction, an attack on one digit, a batch. */
export interface Routing {
  predict: WorkRouting;
  attack: WorkRouting;
  batch: BatchRouting;
}

export interface PredictionEventDetail {
  label: number;
  probabilities: number[];
  pixels: Float32Array;
  source: CurrentDigit['source'];
  model: ModelName;
}

export interface AttackEventDetail {
  method: AttackMethod;
  eps: number;
  target: number | null;
  /** The digit before the attack. */
  original: { label: number; probabilities: number[]; pixels: Float32Array };
  /** What the network reads after it. */
  label: number;
  probabilities: number[];
  pixels: Float32Array;
  noise: Float32Array;
  norms: Norms;
  steps: number;
  /** Whether the label changed. */
  success: boolean;
  model: ModelName;
}

/** The settings of a demo (www/state.js), as <adversarial-digits> takes them. */
export interface DemoState {
  get(key: 'model'): ModelName;
  get(key: 'sample' | 'eps' | 'steps' | 'pixels' | 'target'): number | null;
  get(key: 'attack'): AttackMethod;
  get(key: 'drawn'): string | null;
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  subscribe(fn: (key: string, value: unknown) => void): () => void;
  values(): Record<string, unknown>;
  hash(): string;
}

/** What an <adversarial-digits> element's `demo` gives (www/demo.js). */
export interface Demo {
  readonly root: HTMLElement;
  readonly state: DemoState;
  /** Resolves once the network is loaded and the demo shows a digit. */
  readonly ready: Promise<unknown>;
  current(): Omit<CurrentDigit, 'probabilities'> & { probabilities: Float32Array } | null;
  lastAttack(): { input: object; output: AttackResult; options: AttackOptions } | null;
  /** Shows 784 pixels as the demo's digit. */
  show(pixels: Pixels, caption?: string): void;
  subscribe(fn: (digit: object | null) => void): void;
}

/**
 * <adversarial-digits view="attack" attack="fgsm" eps="0.2" digit="3" controls="samples,eps" theme="dark">
 * Attributes: view (classify | attack | visualise | robust, or several), controls (draw, upload,
 * samples, method, eps, steps, target, extras; attack; all; none), attack, eps, steps, pixels,
 * target, digit (0-99), drawn (a digit code from a link), model (standard | robust),
 * theme (light | dark | auto). `data-ready` becomes "true" (or "error").
 */
export interface AdversarialDigitsElement extends HTMLElement {
  readonly demo: Demo | null;
}

export declare const adversarialDigits: AdversarialDigitsApi;
export declare const ready: AdversarialDigitsApi['ready'];
export declare const load: AdversarialDigitsApi['load'];
export declare let backend: Backend | null;
export declare let fallbackReason: string | null;
export declare let batchRouting: BatchRouting | null;
export declare let routing: Routing | null;
export declare let where: 'worker' | 'page' | null;
export declare const classify: AdversarialDigitsApi['classify'];
export declare const gradient: AdversarialDigitsApi['gradient'];
export declare const attack: AdversarialDigitsApi['attack'];
export declare const current: AdversarialDigitsApi['current'];
export declare const saliency: AdversarialDigitsApi['saliency'];
export declare const visualizeClass: AdversarialDigitsApi['visualizeClass'];
export declare const foolingImage: AdversarialDigitsApi['foolingImage'];
export declare const featureMaps: AdversarialDigitsApi['featureMaps'];
export declare const survival: AdversarialDigitsApi['survival'];
export declare const setModel: AdversarialDigitsApi['setModel'];
export declare const train: AdversarialDigitsApi['train'];
export declare const trainingPresets: AdversarialDigitsApi['trainingPresets'];
export declare const yourNetwork: AdversarialDigitsApi['yourNetwork'];
export declare const forgetYourNetwork: AdversarialDigitsApi['forgetYourNetwork'];

declare global {
  interface Window {
    adversarialDigits: AdversarialDigitsApi;
  }
  interface WindowEventMap {
    'adversarialdigits:backend': CustomEvent<BackendEventDetail>;
    'adversarialdigits:prediction': CustomEvent<PredictionEventDetail>;
    'adversarialdigits:attack': CustomEvent<AttackEventDetail>;
  }
  interface HTMLElementEventMap {
    'adversarialdigits:prediction': CustomEvent<PredictionEventDetail>;
    'adversarialdigits:attack': CustomEvent<AttackEventDetail>;
  }
  interface HTMLElementTagNameMap {
    'adversarial-digits': AdversarialDigitsElement;
  }
  // eslint-disable-next-line no-var
  var adversarialDigits: AdversarialDigitsApi;
}
