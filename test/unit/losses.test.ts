import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bce,
  dice,
  focal,
  getLoss,
  iouBce,
  jaccardDistance,
  lovaszHinge,
  softIou,
  tversky,
} from '../../src/main/training/losses';
import { LOSS_IDS, type LossId } from '../../src/shared/ids';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const t4 = (values: number[], shape: [number, number, number, number]) =>
  tf.tensor4d(values, shape);

const valueOf = (s: tf.Scalar) => s.dataSync()[0] as number;

describe('losses by hand', () => {
  // Logits 0 make every probability 1/2, so each loss reduces to a fraction.
  const y = t4([1, 0, 1, 1], [1, 2, 2, 1]);
  const half = tf.zeros([1, 2, 2, 1]) as tf.Tensor4D;

  it('soft IoU: I = 1.5, U = 3 * 1 + 0.5 = 3.5', () => {
    expect(valueOf(softIou(y, half))).toBeCloseTo(1 - 1.5 / 3.5, 6);
  });

  it('Jaccard distance: I = 1.5, Σy² = 3, Σp² = 4 / 4 -> 1 - 1.5 / 2.5, not soft IoU', () => {
    expect(valueOf(jaccardDistance(y, half))).toBeCloseTo(0.4, 6);
  });

  it('Dice: 1 - 2 * 1.5 / (3 + 2)', () => {
    expect(valueOf(dice(y, half))).toBeCloseTo(0.4, 6);
  });

  it('BCE: ln 2 per pixel', () => {
    expect(valueOf(bce(y, half))).toBeCloseTo(Math.LN2, 6);
  });

  it('focal: alpha_t * (1/2)^2 * ln 2, alpha_t = 0.25 on foreground, 0.75 on background', () => {
    expect(valueOf(focal(y, half))).toBeCloseTo(((3 * 0.25 + 0.75) / 4) * 0.25 * Math.LN2, 6);
  });

  it('Tversky: TP 1.5, FP 0.5, FN 1.5 -> 1 - 1.5 / (1.5 + 0.15 + 1.05)', () => {
    expect(valueOf(tversky(y, half))).toBeCloseTo(1 - 1.5 / 2.7, 6);
  });

  it('IoU + BCE is their sum', () => {
    expect(valueOf(iouBce(y, half))).toBeCloseTo(1 - 1.5 / 3.5 + Math.LN2, 6);
  });

  it('Lovász hinge: sorted errors 2, 1.3, 1, 0.5 weigh 1/3, 1/6, 1/10, 1/5', () => {
    // Errors 1 - x(2y - 1) = [-1, 0, 0.5, 1.3, -2, 2, 1, -1]; two foreground pixels.
    const yl = t4([1, 0, 1, 0, 0, 0, 0, 0], [2, 2, 2, 1]);
    const xl = t4([2, -1, 0.5, 0.3, -3, 1, 0, -2], [2, 2, 2, 1]);
    expect(valueOf(lovaszHinge(yl, xl))).toBeCloseTo(2 / 3 + 1.3 / 6 + 1 / 10 + 0.5 / 5, 6);
    // Per image: the second has no foreground, so its loss is its largest error (2); in
    // the first, errors 1.3 (background) then 0.5 (foreground) move the Jaccard loss
    // 0 -> 1/3 -> 2/3.
    expect(valueOf(lovaszHinge(yl, xl, { perImage: true }))).toBeCloseTo(
      (1.3 / 3 + 0.5 / 3 + 2) / 2,
      6,
    );
  });

  it('per image and over the batch differ when images differ', () => {
    const y2 = t4([1, 1, 0, 0, 1, 0, 0, 0], [2, 2, 2, 1]);
    const x2 = t4([3, -1, 0, 2, -2, 1, 0, -2], [2, 2, 2, 1]);
    expect(valueOf(softIou(y2, x2, { perImage: true }))).not.toBeCloseTo(
      valueOf(softIou(y2, x2)),
      3,
    );
  });
});

interface TorchCase {
  name: string;
  shape: [number, number, number, number];
  y: number[];
  logits: number[];
  results: Record<string, { value: number; grad: number[] }>;
}

const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/losses-torch.json', import.meta.url)), 'utf8'),
) as { torch: string; cases: TorchCase[] };

describe('losses against PyTorch (test/fixtures/losses-torch.py)', () => {
  for (const c of fixture.cases) {
    for (const id of LOSS_IDS) {
      for (const perImage of [false, true]) {
        const key = `${id}/${perImage ? 'image' : 'batch'}`;
        it(`${c.name}: ${key} value and gradient`, () => {
          const expected = c.results[key];
          if (!expected) throw new Error(`fixture lacks ${key}`);
          const y = t4(c.y, c.shape);
          const x = t4(c.logits, c.shape);
          const loss = getLoss(id, { perImage });
          expect(valueOf(loss(y, x))).toBeCloseTo(expected.value, 5);
          const grad = tf
            .grad((l: tf.Tensor) => loss(y, l as tf.Tensor4D))(x)
            .dataSync();
          grad.forEach((g, i) => expect(g).toBeCloseTo(expected.grad[i] as number, 5));
        });
      }
    }
  }
});

// A second, plain double-precision implementation of every formula, on other shapes.
function reference(
  id: LossId,
  y: number[],
  x: number[],
  images: number,
  perImage: boolean,
): number {
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const ce = (yi: number, xi: number) =>
    Math.max(xi, 0) - xi * yi + Math.log1p(Math.exp(-Math.abs(xi)));
  const n = y.length / images;
  const groups = perImage
    ? Array.from({ length: images }, (_, i) => [i * n, (i + 1) * n] as const)
    : [[0, y.length] as const];
  const mean = (f: (from: number, to: number) => number) =>
    groups.reduce((s, [a, b]) => s + f(a, b), 0) / groups.length;
  const sum = (a: number, b: number, f: (i: number) => number) => {
    let s = 0;
    for (let i = a; i < b; i++) s += f(i);
    return s;
  };
  const yv = (i: number) => y[i] as number;
  const pv = (i: number) => sig(x[i] as number);
  switch (id) {
    case 'iou':
      return mean(
        (a, b) =>
          1 - sum(a, b, (i) => yv(i) * pv(i)) / sum(a, b, (i) => yv(i) + pv(i) - yv(i) * pv(i)),
      );
    case 'jaccard':
      return mean((a, b) => {
        const intersection = sum(a, b, (i) => yv(i) * pv(i));
        const squares = sum(a, b, (i) => yv(i) ** 2 + pv(i) ** 2);
        return 1 - intersection / (squares - intersection);
      });
    case 'dice':
      return mean(
        (a, b) => 1 - (2 * sum(a, b, (i) => yv(i) * pv(i))) / sum(a, b, (i) => yv(i) + pv(i)),
      );
    case 'tversky':
      return mean((a, b) => {
        const tp = sum(a, b, (i) => yv(i) * pv(i));
        const fp = sum(a, b, (i) => (1 - yv(i)) * pv(i));
        const fn = sum(a, b, (i) => yv(i) * (1 - pv(i)));
        return 1 - tp / (tp + 0.3 * fp + 0.7 * fn);
      });
    case 'bce':
      return sum(0, y.length, (i) => ce(yv(i), x[i] as number)) / y.length;
    case 'focal':
      return (
        sum(0, y.length, (i) => {
          const pt = yv(i) === 1 ? pv(i) : 1 - pv(i);
          const at = yv(i) === 1 ? 0.25 : 0.75;
          return at * (1 - pt) ** 2 * ce(yv(i), x[i] as number);
        }) / y.length
      );
    case 'iou+bce':
      return reference('iou', y, x, images, perImage) + reference('bce', y, x, images, perImage);
    case 'lovasz':
      return mean((a, b) => {
        const items = Array.from({ length: b - a }, (_, k) => ({
          e: 1 - (x[a + k] as number) * (2 * yv(a + k) - 1),
          g: yv(a + k),
        })).sort((u, v) => v.e - u.e);
        const gts = items.reduce((s, it) => s + it.g, 0);
        let cumFg = 0;
        let cumBg = 0;
        let previous = 0;
        let loss = 0;
        for (const it of items) {
          cumFg += it.g;
          cumBg += 1 - it.g;
          const jaccard = 1 - (gts - cumFg) / (gts + cumBg);
          loss += Math.max(it.e, 0) * (jaccard - previous);
          previous = jaccard;
        }
        return loss;
      });
  }
}

describe('losses against a plain-JS reference', () => {
  // Deterministic pseudo-random inputs (LCG) so failures reproduce.
  let state = 12345;
  const rand = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const shape: [number, number, number, number] = [3, 8, 8, 1];
  const count = 3 * 64;
  const y = Array.from({ length: count }, () => (rand() < 0.3 ? 1 : 0));
  const x = Array.from({ length: count }, () => (rand() - 0.5) * 8);

  for (const id of LOSS_IDS) {
    for (const perImage of [false, true]) {
      it(`${id} ${perImage ? 'per image' : 'over the batch'}`, () => {
        const got = valueOf(getLoss(id, { perImage })(t4(y, shape), t4(x, shape)));
        expect(got).toBeCloseTo(reference(id, y, x, 3, perImage), 5);
      });
    }
  }
});

describe('edge cases', () => {
  const shape: [number, number, number, number] = [2, 4, 4, 1];
  const filled = (v: number) => tf.fill(shape, v) as tf.Tensor4D;
  const cases: [string, tf.Tensor4D, tf.Tensor4D][] = [
    ['empty truth, confident empty prediction', filled(0), filled(-30)],
    ['empty truth, saturated empty prediction', filled(0), filled(-200)],
    ['empty truth, foreground predicted', filled(0), filled(3)],
    ['all foreground, confident', filled(1), filled(30)],
    ['all foreground, saturated', filled(1), filled(200)],
    ['all foreground, background predicted', filled(1), filled(-3)],
    ['all foreground, logits exactly 0', filled(1), filled(0)],
  ];
  for (const id of LOSS_IDS) {
    for (const perImage of [false, true]) {
      it(`${id}${perImage ? ' per image' : ''}: finite values and gradients`, () => {
        const loss = getLoss(id, { perImage });
        for (const [name, y, x] of cases) {
          const value = valueOf(loss(y, x));
          expect(Number.isFinite(value), `${name}: value ${value}`).toBe(true);
          const grad = tf
            .grad((l: tf.Tensor) => loss(y, l as tf.Tensor4D))(x)
            .dataSync();
          expect(grad.every(Number.isFinite), `${name}: gradient`).toBe(true);
        }
      });
    }
  }

  it('empty truth and empty prediction: IoU, Jaccard, Dice and Tversky losses are 0', () => {
    for (const fn of [softIou, jaccardDistance, dice, tversky]) {
      expect(valueOf(fn(filled(0), filled(-200)))).toBeCloseTo(0, 6);
      expect(valueOf(fn(filled(0), filled(-200), { perImage: true }))).toBeCloseTo(0, 6);
    }
  });

  it('empty truth with predicted foreground: ratio losses are 1', () => {
    for (const fn of [softIou, jaccardDistance, dice, tversky]) {
      expect(valueOf(fn(filled(0), filled(3)))).toBeCloseTo(1, 5);
    }
  });

  it('a perfect prediction scores near 0 under every loss', () => {
    const y = t4(
      Array.from({ length: 32 }, (_, i) => (i % 3 === 0 ? 1 : 0)),
      shape,
    );
    const logits = tf.mul(tf.sub(tf.mul(y, 2), 1), 20) as tf.Tensor4D;
    for (const id of LOSS_IDS) {
      for (const perImage of [false, true]) {
        expect(valueOf(getLoss(id, { perImage })(y, logits)), id).toBeLessThan(1e-6);
      }
    }
  });

  it('gradients point the right way: descending them lowers every loss', () => {
    const y = t4([1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1], [1, 4, 4, 1]);
    const x = t4(
      [0.2, -0.5, 0.1, 0.4, -1, 0.3, 0, 0.2, -0.1, 0.5, 0.2, 0.6, -0.3, 0.1, 0.2, -0.2],
      [1, 4, 4, 1],
    );
    for (const id of LOSS_IDS) {
      const loss = getLoss(id);
      const grad = tf.grad((l: tf.Tensor) => loss(y, l as tf.Tensor4D))(x);
      const stepped = tf.sub(x, tf.mul(grad, 0.5)) as tf.Tensor4D;
      expect(valueOf(loss(y, stepped)), id).toBeLessThan(valueOf(loss(y, x)));
    }
  });

  it('leaks no tensors', () => {
    const y = filled(1);
    const x = filled(0.5);
    for (const id of LOSS_IDS) {
      const before = tf.memory().numTensors;
      const loss = getLoss(id, { perImage: true });
      tf.dispose([loss(y, x), tf.grad((l: tf.Tensor) => loss(y, l as tf.Tensor4D))(x)]);
      expect(tf.memory().numTensors, id).toBe(before);
    }
  });

  it('rejects masks shaped unlike the logits', () => {
    expect(() => softIou(tf.zeros([1, 4, 4, 1]), tf.zeros([1, 8, 8, 1]))).toThrow(/shape/);
  });
});

// The app trains on wasm when native TensorFlow is absent: every loss and its gradient
// must run there (TopK, Cumsum, ScatterNd, Softplus, Pow...) and agree with cpu.
describe('on the wasm backend', () => {
  const shape: [number, number, number, number] = [2, 8, 8, 1];
  const y = Array.from({ length: 128 }, (_, i) => ((i * 7919) % 13 < 5 ? 1 : 0));
  const x = Array.from({ length: 128 }, (_, i) => Math.sin(i * 1.7) * 3);
  const evaluate = () =>
    LOSS_IDS.flatMap((id) =>
      [false, true].map((perImage) => {
        const loss = getLoss(id, { perImage });
        const yt = t4(y, shape);
        const xt = t4(x, shape);
        const grad = tf.grad((l: tf.Tensor) => loss(yt, l as tf.Tensor4D))(xt);
        return [valueOf(loss(yt, xt)), ...grad.dataSync()];
      }),
    );

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('matches cpu values and gradients', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('cpu');
    const onCpu = evaluate();
    expect(await tf.setBackend('wasm')).toBe(true);
    const onWasm = evaluate();
    onWasm.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(onCpu[i]![j]!, 5)));
  });
});

describe("a run's loss options (config.lossOptions)", () => {
  const y = tf.tensor4d([1, 0, 1, 1, 0, 0, 1, 0], [2, 2, 2, 1]);
  const x = tf.tensor4d([2, -1, 0.5, -0.5, 1, -2, 0.3, 0.1], [2, 2, 2, 1]);

  it('reach Tversky: alpha = beta = 0.5 is Dice', () => {
    const tverskyHalf = getLoss('tversky', { tverskyAlpha: 0.5, tverskyBeta: 0.5 });
    expect(valueOf(tverskyHalf(y, x))).toBeCloseTo(valueOf(getLoss('dice')(y, x)), 6);
    expect(valueOf(getLoss('tversky')(y, x))).not.toBeCloseTo(valueOf(tverskyHalf(y, x)), 3);
  });

  it('reach focal: gamma 0 and alpha 0.5 is half of BCE', () => {
    const flat = getLoss('focal', { focalGamma: 0, focalAlpha: 0.5 });
    expect(valueOf(flat(y, x))).toBeCloseTo(valueOf(getLoss('bce')(y, x)) / 2, 6);
  });

  it('reach per-image averaging', () => {
    expect(valueOf(getLoss('iou', { perImage: true })(y, x))).toBeCloseTo(
      valueOf(softIou(y, x, { perImage: true })),
      6,
    );
  });
});
