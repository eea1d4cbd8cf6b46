// The project's network rebuilt in TensorFlow.js ops, with the same weights, for the bench's
// side-by-side comparison only (the product page never loads TensorFlow.js).
//
// Architecture (README, "The network and its weights"): (x - 0.1307) / 0.3081 → conv 5×5 ×16,
// pad 2 → ReLU → max-pool 2 → conv 5×5 ×32, pad 2 → ReLU → max-pool 2 → fc 128 → ReLU → fc 10.
// The weights file is in PyTorch's layout; TensorFlow.js works in NHWC, so at load time:
//   conv [out, in, kh, kw] → [kh, kw, in, out];  Linear [out, in] → [in, out];
//   fc1's 1568 inputs are PyTorch's NCHW flattening (c, h, w) of the [32, 7, 7] maps, while
//   TensorFlow.js flattens NHWC (h, w, c): its rows are permuted once here, rather than
//   transposing the activations on every forward pass (same result, less work for tfjs).

const PIXEL_MEAN = 0.1307;
const PIXEL_STD = 0.3081;
const IMAGE = [1, 28, 28, 1];
const CLASSES = 10;

/**
 * The tensors of a safetensors file: Map name → {shape, data: Float32Array}. Format: an 8-byte
 * little-endian header length, a JSON header {name: {dtype, shape, data_offsets: [begin, end]}}
 * (offsets relative to the end of the header), then the raw little-endian data.
 */
export function parseSafetensors(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.length) throw new Error('safetensors: the header runs past the end of the file');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  const dataStart = 8 + headerLength;
  const tensors = new Map();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (entry.dtype !== 'F32') throw new Error(`safetensors: ${name} is ${entry.dtype}, only F32 is read here`);
    const [begin, end] = entry.data_offsets;
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * 4 || dataStart + end > bytes.length) throw new Error(`safetensors: ${name}'s data does not match its shape`);
    // A copy: the tensor's offset in the file need not be a multiple of 4.
    const data = new Float32Array(bytes.slice(dataStart + begin, dataStart + end).buffer);
    tensors.set(name, { shape: entry.shape, data });
  }
  return tensors;
}

/**
 * The network on TensorFlow.js's current backend. `tf`: the loaded library; `file`: the tensors
 * from parseSafetensors. Every method takes 784 pixels in [0, 1] (row-major 28×28) and reads its
 * result back once, at the end, as the engine does.
 */
export function createTfjsDigitNet(tf, file) {
  /** The tensor `name`, which must have `shape` in the file, viewed as `as`. */
  const get = (name, shape, as = shape) => {
    const t = file.get(name);
    if (!t || t.shape.join() !== shape.join()) throw new Error(`weights: ${name} should be [${shape}], found ${t ? `[${t.shape}]` : 'nothing'}`);
    return tf.tensor(t.data, as);
  };
  const weights = tf.tidy(() => ({
    conv1: tf.transpose(get('conv1.weight', [16, 1, 5, 5]), [2, 3, 1, 0]),
    conv1Bias: get('conv1.bias', [16]),
    conv2: tf.transpose(get('conv2.weight', [32, 16, 5, 5]), [2, 3, 1, 0]),
    conv2Bias: get('conv2.bias', [32]),
    // [128, (32, 7, 7)] → [(7, 7, 32), 128]
    fc1: tf.reshape(tf.transpose(get('fc1.weight', [128, 1568], [128, 32, 7, 7]), [2, 3, 1, 0]), [7 * 7 * 32, 128]),
    fc1Bias: get('fc1.bias', [128]),
    fc2: tf.transpose(get('fc2.weight', [10, 128])),
    fc2Bias: get('fc2.bias', [10]),
  }));

  /** Logits [1, 10] of images [1, 28, 28, 1]. tf.fused ops fuse bias and ReLU when no gradient
   * is being taken and fall back to separate ops under tf.grad. */
  function logits(x) {
    const normalised = tf.div(tf.sub(x, PIXEL_MEAN), PIXEL_STD);
    const conv = (input, filter, bias) => tf.maxPool(tf.fused.conv2d({ x: input, filter, bias, strides: 1, pad: 'same', activation: 'relu' }), 2, 2, 'valid');
    const features = conv(conv(normalised, weights.conv1, weights.conv1Bias), weights.conv2, weights.conv2Bias);
    const hidden = tf.fused.matMul({ a: tf.reshape(features, [1, 7 * 7 * 32]), b: weights.fc1, bias: weights.fc1Bias, activation: 'relu' });
    return tf.fused.matMul({ a: hidden, b: weights.fc2, bias: weights.fc2Bias });
  }

  /** ∂(cross-entropy of `label`)/∂x, the same loss as the engine's (summed over the batch). */
  function lossGradient(x, label) {
    const oneHot = tf.tensor2d(Array.from({ length: CLASSES }, (_, k) => (k === label ? 1 : 0)), [1, CLASSES]);
    return tf.grad((input) => tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits(input)), oneHot))))(x);
  }

  /** Reads tensors back (together, one wait) and disposes of them. */
  async function readBack(...tensors) {
    try {
      return await Promise.all(tensors.map((t) => t.data()));
    } finally {
      tf.dispose(tensors);
    }
  }

  const image = (pixels) => tf.tensor4d(pixels, IMAGE);

  return {
    /** 10 probabilities. */
    async classify(pixels) {
      const [p] = await readBack(tf.tidy(() => tf.softmax(logits(image(pixels)))));
      return p;
    },

    /** Float32Array(784): the input gradient of the loss. */
    async gradient(pixels, label) {
      const [g] = await readBack(tf.tidy(() => lossGradient(image(pixels), label)));
      return g;
    },

    /** FGSM: one signed gradient step of `eps`, clipped to [0, 1], then the new probabilities. */
    async fgsm(pixels, label, { eps }) {
      const [adversarial, probabilities] = tf.tidy(() => {
        const x = image(pixels);
        const adv = tf.clipByValue(tf.add(x, tf.mul(tf.sign(lossGradient(x, label)), eps)), 0, 1);
        return [adv, tf.softmax(logits(adv))];
      });
      const [p, probs] = await readBack(adversarial, probabilities);
      return { pixels: p, probabilities: probs };
    },

    /** L∞ PGD: a uniform random start in the eps-ball, `steps` signed steps of `alpha`, each
     * projected onto the ball and [0, 1]; nothing is read back before the end. */
    async pgd(pixels, label, { eps, alpha, steps, seed = 0 }) {
      const original = image(pixels);
      const lower = tf.tidy(() => tf.clipByValue(tf.sub(original, eps), 0, 1));
      const upper = tf.tidy(() => tf.clipByValue(tf.add(original, eps), 0, 1));
      let x = tf.tidy(() => tf.clipByValue(tf.add(original, tf.randomUniform(IMAGE, -eps, eps, 'float32', seed)), 0, 1));
      for (let step = 0; step < steps; step++) {
        const next = tf.tidy(() => tf.minimum(tf.maximum(tf.add(x, tf.mul(tf.sign(lossGradient(x, label)), alpha)), lower), upper));
        x.dispose();
        x = next;
      }
      const probabilities = tf.tidy(() => tf.softmax(logits(x)));
      tf.dispose([original, lower, upper]);
      const [p, probs] = await readBack(x, probabilities);
      return { pixels: p, probabilities: probs };
    },

    dispose: () => tf.dispose(Object.values(weights)),
  };
}
