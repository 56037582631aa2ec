// A second implementation of the Elman RNN and full BPTT, in plain JavaScript for Node,
// written from docs/contract.md and checked by rnn-ref's golden vectors:
//
//   node examples/vectors/rnn.js VECTORS_DIR RESULTS.json
//   rnn-ref vectors --check-results RESULTS.json --vectors VECTORS_DIR
//
// Scope: tanh and sigmoid, mse and softmax cross-entropy, full BPTT. Other cases are
// written as {"out_of_scope": why}. Row layout of the contract: W_xh (H, D), W_hh (H, H),
// W_hy (O, H); xs (T, B, D), h0 (B, H); loss weights (T, B); a padded target is null.
"use strict";
const fs = require("fs");
const path = require("path");

const zeros = (...shape) =>
  shape.length === 1 ? new Array(shape[0]).fill(0) : Array.from({ length: shape[0] }, () => zeros(...shape.slice(1)));
const matVec = (M, v) => M.map((row) => row.reduce((s, m, j) => s + m * v[j], 0));
const phi = { tanh: Math.tanh, sigmoid: (a) => 1 / (1 + Math.exp(-a)) };
// phi'(a_t) from h_t = phi(a_t)
const phiPrime = { tanh: (h) => 1 - h * h, sigmoid: (h) => h * (1 - h) };

function scope(c) {
  if (!(c.spec.activation in phi)) return `activation ${c.spec.activation} is not implemented`;
  if (c.spec.truncation !== null) return "truncated BPTT is not implemented (full BPTT only)";
  return null;
}

function run(c) {
  const { W_xh, W_hh, b_h, W_hy, b_y, xs, targets, h0, weights } = c.inputs;
  const { T, B, D, H, O } = c.sizes;
  const act = c.spec.activation;
  const mse = c.spec.loss === "mse";
  // Forward: a_t = W_xh x_t + W_hh h_{t-1} + b_h, h_t = phi(a_t), y_t = W_hy h_t + b_y.
  const hs = [h0.map((row) => row.slice())];
  const ys = [];
  for (let t = 0; t < T; t++) {
    hs.push(zeros(B, H));
    ys.push(zeros(B, O));
    for (let b = 0; b < B; b++) {
      const ax = matVec(W_xh, xs[t][b]);
      const ah = matVec(W_hh, hs[t][b]);
      for (let i = 0; i < H; i++) hs[t + 1][b][i] = phi[act](ax[i] + ah[i] + b_h[i]);
      const y = matVec(W_hy, hs[t + 1][b]);
      for (let o = 0; o < O; o++) ys[t][b][o] = y[o] + b_y[o];
    }
  }
  // Loss and dL/dy_t: w (y - z) for mse, w (softmax(y) - onehot(c)) for softmax_ce.
  let loss = 0;
  const dys = zeros(T, B, O);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const w = weights[t][b];
      if (w === 0) continue; // padding: the target is never read
      const y = ys[t][b];
      if (mse) {
        for (let o = 0; o < O; o++) {
          const r = y[o] - targets[t][b][o];
          loss += w * 0.5 * r * r;
          dys[t][b][o] = w * r;
        }
      } else {
        const m = Math.max(...y);
        const e = y.map((v) => Math.exp(v - m));
        const s = e.reduce((p, q) => p + q, 0);
        const cls = targets[t][b];
        loss += w * (m + Math.log(s) - y[cls]);
        for (let o = 0; o < O; o++) dys[t][b][o] = w * (e[o] / s - (o === cls ? 1 : 0));
      }
    }
  }
  // Backward through time, carrying dh_next = W_hh^T delta_{t+1}.
  const g = {
    W_xh: zeros(H, D), W_hh: zeros(H, H), b_h: zeros(H), W_hy: zeros(O, H), b_y: zeros(O),
    xs: zeros(T, B, D), h0: zeros(B, H),
  };
  let dhNext = zeros(B, H);
  for (let t = T - 1; t >= 0; t--) {
    const carried = zeros(B, H);
    for (let b = 0; b < B; b++) {
      const dy = dys[t][b];
      const h = hs[t + 1][b];
      const hPrev = hs[t][b];
      const delta = zeros(H);
      for (let o = 0; o < O; o++) {
        g.b_y[o] += dy[o];
        for (let i = 0; i < H; i++) g.W_hy[o][i] += dy[o] * h[i];
      }
      for (let i = 0; i < H; i++) {
        let dh = dhNext[b][i]; // dL/dh_t = W_hy^T dy_t + W_hh^T delta_{t+1}
        for (let o = 0; o < O; o++) dh += W_hy[o][i] * dy[o];
        delta[i] = dh * phiPrime[act](h[i]);
      }
      for (let i = 0; i < H; i++) {
        g.b_h[i] += delta[i];
        for (let d = 0; d < D; d++) g.W_xh[i][d] += delta[i] * xs[t][b][d];
        for (let j = 0; j < H; j++) g.W_hh[i][j] += delta[i] * hPrev[j];
      }
      for (let d = 0; d < D; d++) for (let i = 0; i < H; i++) g.xs[t][b][d] += W_xh[i][d] * delta[i];
      for (let j = 0; j < H; j++) for (let i = 0; i < H; i++) carried[b][j] += W_hh[i][j] * delta[i]; // carry
    }
    dhNext = carried;
  }
  g.h0 = dhNext;
  return { loss, ...g };
}

function main() {
  const [dir, out] = process.argv.slice(2);
  if (!dir || !out) {
    console.error("usage: node rnn.js VECTORS_DIR RESULTS.json");
    process.exit(2);
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
  const results = {};
  for (const entry of manifest.cases) {
    const c = JSON.parse(fs.readFileSync(path.join(dir, entry.json), "utf8"));
    const why = scope(c);
    results[c.id] = why === null ? run(c) : { out_of_scope: why };
  }
  const document = { format: "rnn-ref-results", version: 1, implementation: "examples/vectors/rnn.js", results };
  fs.writeFileSync(out, JSON.stringify(document) + "\n");
}

main();
