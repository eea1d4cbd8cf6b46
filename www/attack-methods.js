// What the attack panel says about each method, and the controls each one needs.
// The maths lives in Rust (src/attacks/); this file is prose and slider ranges only.

/** @typedef {{name: string, label: string, norm: string, summary: string, paper: string,
 *   paperUrl: string, eps?: {min: number, max: number, step: number, value: number},
 *   steps?: {min: number, max: number, value: number}, pixels?: {min: number, max: number, value: number},
 *   targeted: 'optional'|'required'|'never', iterative: boolean}} AttackMethod */

/** @type {AttackMethod[]} */
export const ATTACK_METHODS = [
  {
    name: 'fgsm', label: 'FGSM', norm: 'L∞',
    summary: 'One step along the sign of the gradient: every pixel moves by exactly ε, up or down.',
    paper: 'Goodfellow, Shlens & Szegedy (2014), Explaining and Harnessing Adversarial Examples',
    paperUrl: 'https://arxiv.org/abs/1412.6572',
    eps: { min: 0, max: 0.5, step: 0.005, value: 0.2 }, targeted: 'optional', iterative: false,
  },
  {
    name: 'bim', label: 'BIM / I-FGSM', norm: 'L∞',
    summary: 'FGSM in small steps, never straying more than ε from the original.',
    paper: 'Kurakin, Goodfellow & Bengio (2016), Adversarial Examples in the Physical World',
    paperUrl: 'https://arxiv.org/abs/1607.02533',
    eps: { min: 0, max: 0.5, step: 0.005, value: 0.1 }, steps: { min: 1, max: 100, value: 10 },
    targeted: 'optional', iterative: true,
  },
  {
    name: 'pgd', label: 'PGD (L∞)', norm: 'L∞',
    summary: 'BIM from a random point inside the ε-box: the standard strong first-order attack.',
    paper: 'Madry, Makelov, Schmidt, Tsipras & Vladu (2017), Towards Deep Learning Models Resistant to Adversarial Attacks',
    paperUrl: 'https://arxiv.org/abs/1706.06083',
    eps: { min: 0, max: 0.5, step: 0.005, value: 0.1 }, steps: { min: 1, max: 100, value: 40 },
    targeted: 'optional', iterative: true,
  },
  {
    name: 'pgd-l2', label: 'PGD (L2)', norm: 'L2',
    summary: 'PGD inside an L2 ball: the total energy of the noise is bounded, not each pixel.',
    paper: 'Madry et al. (2017), Towards Deep Learning Models Resistant to Adversarial Attacks',
    paperUrl: 'https://arxiv.org/abs/1706.06083',
    eps: { min: 0, max: 6, step: 0.05, value: 1.5 }, steps: { min: 1, max: 100, value: 40 },
    targeted: 'optional', iterative: true,
  },
  {
    name: 'mi-fgsm', label: 'MI-FGSM', norm: 'L∞',
    summary: 'BIM with momentum on the gradient: a steadier direction that also fools other networks.',
    paper: 'Dong, Liao, Pang, Su, Zhu, Hu & Li (2018), Boosting Adversarial Attacks with Momentum',
    paperUrl: 'https://arxiv.org/abs/1710.06081',
    eps: { min: 0, max: 0.5, step: 0.005, value: 0.1 }, steps: { min: 1, max: 100, value: 10 },
    targeted: 'optional', iterative: true,
  },
  {
    name: 'deepfool', label: 'DeepFool', norm: 'L2',
    summary: 'Walks to the nearest (linearised) decision boundary: close to the smallest L2 change.',
    paper: 'Moosavi-Dezfooli, Fawzi & Frossard (2016), DeepFool: a simple and accurate method to fool deep neural networks',
    paperUrl: 'https://arxiv.org/abs/1511.04599',
    targeted: 'never', iterative: true,
  },
  {
    name: 'cw', label: 'Carlini & Wagner L2', norm: 'L2',
    summary: 'Optimises for the smallest L2 change that flips the label, searching over the trade-off constant c.',
    paper: 'Carlini & Wagner (2017), Towards Evaluating the Robustness of Neural Networks',
    paperUrl: 'https://arxiv.org/abs/1608.04644',
    steps: { min: 10, max: 200, value: 100 }, targeted: 'optional', iterative: true,
  },
  {
    name: 'jsma', label: 'JSMA', norm: 'L0',
    summary: 'Saturates a few pixels, two at a time, chosen by a saliency map, until the target class wins.',
    paper: 'Papernot, McDaniel, Jha, Fredrikson, Celik & Swami (2016), The Limitations of Deep Learning in Adversarial Settings',
    paperUrl: 'https://arxiv.org/abs/1511.07528',
    targeted: 'required', iterative: true,
  },
  {
    name: 'few-pixel', label: 'Few pixels', norm: 'L0',
    summary: 'Changes at most N pixels to black or white, greedily, guided by the gradient.',
    paper: 'after Su, Vargas & Sakurai (2019), One Pixel Attack for Fooling Deep Neural Networks',
    paperUrl: 'https://arxiv.org/abs/1710.08864',
    pixels: { min: 1, max: 40, value: 10 }, targeted: 'optional', iterative: true,
  },
];

/** @param {string} name */
export function methodByName(name) {
  return ATTACK_METHODS.find((m) => m.name === name) ?? ATTACK_METHODS[0];
}
