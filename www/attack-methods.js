// What the page says about each attack: its label, a one-line explanation and its paper. Prose
// only: the facts (norm, targeting, defaults, parameter ranges) are the engine's catalogue,
// declared once in Rust (src/attacks/catalogue.rs) and read through `engine.attackMethods`.

/** @type {Record<string, {label: string, summary: string, paper: string, paperUrl: string}>} */
export const ATTACK_PROSE = {
  'fgsm': {
    label: 'FGSM',
    summary: 'One step along the sign of the gradient: every pixel moves by exactly ε, up or down.',
    paper: 'Goodfellow, Shlens & Szegedy (2014), Explaining and Harnessing Adversarial Examples',
    paperUrl: 'https://arxiv.org/abs/1412.6572',
  },
  'bim': {
    label: 'BIM / I-FGSM',
    summary: 'FGSM in small steps, never straying more than ε from the original.',
    paper: 'Kurakin, Goodfellow & Bengio (2016), Adversarial Examples in the Physical World',
    paperUrl: 'https://arxiv.org/abs/1607.02533',
  },
  'pgd': {
    label: 'PGD (L∞)',
    summary: 'BIM from a random point inside the ε-box: the standard strong first-order attack.',
    paper: 'Madry, Makelov, Schmidt, Tsipras & Vladu (2017), Towards Deep Learning Models Resistant to Adversarial Attacks',
    paperUrl: 'https://arxiv.org/abs/1706.06083',
  },
  'pgd-l2': {
    label: 'PGD (L2)',
    summary: 'PGD inside an L2 ball: the total energy of the noise is bounded, not each pixel.',
    paper: 'Madry et al. (2017), Towards Deep Learning Models Resistant to Adversarial Attacks',
    paperUrl: 'https://arxiv.org/abs/1706.06083',
  },
  'mi-fgsm': {
    label: 'MI-FGSM',
    summary: 'BIM with momentum on the gradient: a steadier direction that also fools other networks.',
    paper: 'Dong, Liao, Pang, Su, Zhu, Hu & Li (2018), Boosting Adversarial Attacks with Momentum',
    paperUrl: 'https://arxiv.org/abs/1710.06081',
  },
  'deepfool': {
    label: 'DeepFool',
    summary: 'Walks to the nearest (linearised) decision boundary: close to the smallest L2 change.',
    paper: 'Moosavi-Dezfooli, Fawzi & Frossard (2016), DeepFool: a simple and accurate method to fool deep neural networks',
    paperUrl: 'https://arxiv.org/abs/1511.04599',
  },
  'cw': {
    label: 'Carlini & Wagner L2',
    summary: 'Optimises for the smallest L2 change that flips the label, searching over the trade-off constant c.',
    paper: 'Carlini & Wagner (2017), Towards Evaluating the Robustness of Neural Networks',
    paperUrl: 'https://arxiv.org/abs/1608.04644',
  },
  'jsma': {
    label: 'JSMA',
    summary: 'Saturates a few pixels, two at a time, chosen by a saliency map, until the target class wins.',
    paper: 'Papernot, McDaniel, Jha, Fredrikson, Celik & Swami (2016), The Limitations of Deep Learning in Adversarial Settings',
    paperUrl: 'https://arxiv.org/abs/1511.07528',
  },
  'few-pixel': {
    label: 'Few pixels',
    summary: 'Changes at most N pixels to black or white, greedily, guided by the gradient.',
    paper: 'after Su, Vargas & Sakurai (2019), One Pixel Attack for Fooling Deep Neural Networks',
    paperUrl: 'https://arxiv.org/abs/1710.08864',
  },
  'simba': {
    label: 'SimBA',
    summary: 'No gradient at all: it tries the pixels one by one in random order, ε darker or lighter, and keeps a change when the probability of the true digit falls. It reads only the network’s answers (a black-box attack); ε is its step, and Steps the pixels it may try.',
    paper: 'Guo et al. (2019), Simple Black-box Adversarial Attacks',
    paperUrl: 'https://arxiv.org/abs/1905.07121',
  },
  'square': {
    label: 'Square Attack',
    summary: 'No gradient either: it starts from stripes of ±ε, then keeps trying a random square of the image set to +ε or −ε, and keeps it when the gap between the true digit and the runner-up shrinks. The squares start large and shrink. A random search that reads only the network’s answers, yet rivals the gradient attacks.',
    paper: 'Andriushchenko, Croce, Flammarion & Hein (2020), Square Attack: a query-efficient black-box adversarial attack via random search',
    paperUrl: 'https://arxiv.org/abs/1912.00049',
  },
  'square-l2': {
    label: 'Square Attack (L2)',
    summary: 'The same random search with the change measured by its length: the change always has length ε, and each try moves what one random square held into another, with a fresh pattern of two opposite halves. Reads only the network’s answers.',
    paper: 'Andriushchenko, Croce, Flammarion & Hein (2020), Square Attack: a query-efficient black-box adversarial attack via random search',
    paperUrl: 'https://arxiv.org/abs/1912.00049',
  },
  'fab': {
    label: 'FAB (L∞)',
    summary: 'The Fast Adaptive Boundary attack looks for the smallest change: it replaces the network by its straight-line approximation, jumps to the nearest point of that line’s border (exactly, within the picture’s range), mixes in a jump from the original digit so the change stays small, and repeats. AutoAttack runs it towards each of the other nine digits.',
    paper: 'Croce & Hein (2020), Minimally distorted adversarial examples with a fast adaptive boundary attack',
    paperUrl: 'https://arxiv.org/abs/1907.02044',
  },
  'hopskipjump': {
    label: 'HopSkipJump',
    summary: 'Sees only the answer, not even the probabilities: it starts from noise the network misreads (aiming at a chosen digit, from a sample of that digit), walks back to the border with the real digit, guesses which way the border faces from the answers for random points around it, jumps along it and walks back again, each round closer to the digit. It minimises the L2 change within its budget of questions.',
    paper: 'Chen, Jordan & Wainwright (2020), HopSkipJumpAttack: a query-efficient decision-based attack',
    paperUrl: 'https://arxiv.org/abs/1904.02144',
  },
  'apgd': {
    label: 'APGD',
    summary: 'PGD without a step size to tune: it starts with large steps, adds momentum, and halves a step whenever the loss stops rising, going back to the best point found. The first attack of AutoAttack, the evaluation the field trusts; targeted, it climbs the DLR loss, which a saturated softmax cannot flatten.',
    paper: 'Croce & Hein (2020), Reliable evaluation of adversarial robustness with an ensemble of diverse parameter-free attacks',
    paperUrl: 'https://arxiv.org/abs/2003.01690',
  },
  'bpda': {
    label: 'BPDA',
    summary: 'PGD that differentiates a defence’s non-differentiable input transform as if it were the identity: the backward pass approximates it, the forward pass keeps it. Against the gradient-masked network, it finds what PGD cannot; on the others it is PGD itself.',
    paper: 'Athalye, Carlini & Wagner (2018), Obfuscated Gradients Give a False Sense of Security',
    paperUrl: 'https://arxiv.org/abs/1802.00420',
  },
};

/**
 * The engine's catalogue with each method's prose: `[{name, label, norm, targeted, iterative,
 * eps, steps, defaultSteps, pixels, summary, paper, paperUrl}]`. A method without prose (an engine
 * newer than this page) still works, under its own name.
 * @param {object[]} catalogue `engine.attackMethods`
 */
export function describeMethods(catalogue) {
  return catalogue.map((m) => ({ label: m.name.toUpperCase(), summary: '', paper: '', paperUrl: '', ...ATTACK_PROSE[m.name], ...m }));
}

/** The method named `name` in `methods` (from describeMethods), or the first. */
export function methodByName(methods, name) {
  return methods.find((m) => m.name === name) ?? methods[0];
}
