"use strict";
// The K-Means teaching page. Two parts:
//  * KM: the in-page engine. It follows kmeans_core/reference.py line by line
//    (the same operations in the same order), so the browser tests can
//    require the same labels and centres as the Python trace within 1e-12.
//  * The page: state, drawing and controls. Preset data sets show the
//    embedded Python trace; added points and dragged centres run on KM.

const KM = (() => {
  // numpy's pairwise summation (used by ndarray.sum on a contiguous 1-D
  // array): the WCSS then has the same rounding as the Python trace.
  function pairwiseSum(values, start, count) {
    if (count < 8) {
      let total = 0;
      for (let i = start; i < start + count; i++) total += values[i];
      return total;
    }
    if (count <= 128) {
      const r = values.slice(start, start + 8);
      let i = 8;
      for (; i < count - (count % 8); i += 8) {
        for (let lane = 0; lane < 8; lane++) r[lane] += values[start + i + lane];
      }
      let total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
      for (; i < count; i++) total += values[start + i];
      return total;
    }
    let half = Math.floor(count / 2);
    half -= half % 8;
    return pairwiseSum(values, start, half) + pairwiseSum(values, start + half, count - half);
  }
  const sum = (values) => pairwiseSum(values, 0, values.length);

  function squaredDistance(a, b) {
    let total = 0;
    for (let f = 0; f < a.length; f++) { const d = a[f] - b[f]; total += d * d; }
    return total;
  }

  // Column means: numpy adds the rows one after another along axis 0.
  function columnMeans(X) {
    const d = X[0].length, mean = new Array(d).fill(0);
    for (const x of X) for (let f = 0; f < d; f++) mean[f] += x[f];
    return mean.map((total) => total / X.length);
  }

  const shift = (X, offset, sign) => X.map((x) => x.map((v, f) => v + sign * offset[f]));
  const copy = (rows) => rows.map((row) => row.slice());

  // tol * mean(var(X, axis=0)), as reference.lloyd scales it.
  function absoluteTol(X, tol) {
    const mean = columnMeans(X), d = mean.length, variance = new Array(d).fill(0);
    for (const x of X) for (let f = 0; f < d; f++) { const v = x[f] - mean[f]; variance[f] += v * v; }
    let meanVar = 0;
    for (let f = 0; f < d; f++) meanVar += variance[f] / X.length;
    return tol * (meanVar / d);
  }

  // Assignment: the nearest centre; a tie goes to the lowest index (argmin).
  function assign(X, centers) {
    return X.map((x) => {
      let best = 0, bestDistance = squaredDistance(x, centers[0]);
      for (let j = 1; j < centers.length; j++) {
        const distance = squaredDistance(x, centers[j]);
        if (distance < bestDistance) { best = j; bestDistance = distance; }
      }
      return best;
    });
  }

  // Squared distance of every sample to its own centre, summed feature by
  // feature (reference.distances_to_own_centers).
  const distancesToOwn = (X, centers, labels) =>
    X.map((x, i) => squaredDistance(x, centers[labels[i]]));

  // Empty clusters, in index order, take the samples farthest from their own
  // centre, the farthest first (ties: the lowest row). Only when every sample
  // sits on its centre does nothing move (reference.empty_cluster_relocations).
  function emptyClusterRelocations(X, labels, weights, centersOld) {
    const totals = new Array(centersOld.length).fill(0);
    labels.forEach((label, i) => { totals[label] += weights[i]; });
    const empty = [];
    totals.forEach((total, j) => { if (total === 0) empty.push(j); });
    if (empty.length === 0) return [];
    const distance = distancesToOwn(X, centersOld, labels);
    if (Math.max(...distance) === 0) return [];
    const farthestFirst = X.map((_, i) => i).sort((a, b) => (distance[b] - distance[a]) || (a - b));
    return empty.slice(0, farthestFirst.length).map((cluster, e) => [cluster, farthestFirst[e]]);
  }

  // Update: every centre becomes the weighted mean of its samples; a cluster
  // still empty goes onto the heaviest cluster's centre (reference.mean_centers).
  function update(X, labels, weights, centersOld) {
    const k = centersOld.length, d = centersOld[0].length;
    const sums = centersOld.map(() => new Array(d).fill(0));
    const totals = new Array(k).fill(0);
    X.forEach((x, i) => { for (let f = 0; f < d; f++) sums[labels[i]][f] += weights[i] * x[f]; });
    labels.forEach((label, i) => { totals[label] += weights[i]; });
    for (const [cluster, row] of emptyClusterRelocations(X, labels, weights, centersOld)) {
      const w = weights[row], old = labels[row];
      for (let f = 0; f < d; f++) sums[old][f] -= w * X[row][f];
      totals[old] -= w;
      sums[cluster] = X[row].map((v) => w * v);
      totals[cluster] = w;
    }
    let heaviest = 0;
    totals.forEach((total, j) => { if (total > totals[heaviest]) heaviest = j; });
    // Times the reciprocal, as reference.mean_centers (and the fast path) computes it.
    const centers = sums.map((s, j) => (totals[j] > 0 ? s.map((v) => v * (1 / totals[j])) : null));
    return centers.map((c) => c || centers[heaviest].slice());
  }

  function inertia(X, centers, labels, weights) {
    return sum(X.map((x, i) => weights[i] * squaredDistance(x, centers[labels[i]])));
  }

  const STOP_UNCHANGED = "labels unchanged";
  const STOP_TOLERANCE = "center shift within tol";
  const STOP_MAX_ITER = "max_iter reached";

  // Lloyd's iterations on centred data, as kmeans_core.teach._lloyd_stages
  // yields them; stages carry centres in the caller's coordinates.
  function lloydStages(X, centers, weights, maxIter, tol, mean) {
    const absTol = absoluteTol(X, tol), stages = [];
    const shown = (c) => shift(c, mean, +1);
    let labels = null, reason = STOP_MAX_ITER, iteration = 0, strict = false;
    for (iteration = 1; iteration <= maxIter; iteration++) {
      const newLabels = assign(X, centers);
      const nChanged = labels === null ? X.length : newLabels.filter((l, i) => l !== labels[i]).length;
      stages.push({ kind: "assignment", iteration, labels: newLabels, centers: shown(centers),
        inertia: inertia(X, centers, newLabels, weights), nChanged, final: false });
      const relocated = emptyClusterRelocations(X, newLabels, weights, centers);
      const newCenters = update(X, newLabels, weights, centers);
      let centerShift = 0;
      newCenters.forEach((c, j) => { centerShift += squaredDistance(c, centers[j]); });
      const updateLabels = newLabels.slice();
      for (const [cluster, row] of relocated) updateLabels[row] = cluster;
      stages.push({ kind: "update", iteration, labels: updateLabels, centers: shown(newCenters),
        previousCenters: shown(centers), centerShift,
        inertia: inertia(X, newCenters, updateLabels, weights), relocated });
      centers = newCenters;
      labels = newLabels;
      // No label changed: a fixed point, unless an empty cluster was just
      // relocated (then the final assignment below still runs).
      if (nChanged === 0) { reason = STOP_UNCHANGED; strict = relocated.length === 0; break; }
      if (centerShift <= absTol) { reason = STOP_TOLERANCE; break; }
    }
    if (iteration > maxIter) iteration = maxIter;
    if (!strict) {
      const finalLabels = assign(X, centers);
      stages.push({ kind: "assignment", iteration, labels: finalLabels, centers: shown(centers),
        inertia: inertia(X, centers, finalLabels, weights),
        nChanged: finalLabels.filter((l, i) => l !== labels[i]).length, final: true });
      labels = finalLabels;
    }
    stages.push({ kind: "converged", nIter: iteration, reason, labels, centers: shown(centers),
      inertia: inertia(X, centers, labels, weights), tol: absTol });
    return stages;
  }

  // A small seeded generator (mulberry32) for the page's own draws. It is not
  // NumPy's: runs started on the page say so.
  function randomGenerator(seed) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6D2B79F5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function cumulative(values) {
    let total = 0;
    return values.map((v) => (total += v));
  }

  // np.searchsorted(cumulative, target) (side="left"), clipped to the last row.
  function searchSorted(cumulativeValues, target) {
    let lo = 0, hi = cumulativeValues.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cumulativeValues[mid] < target) lo = mid + 1; else hi = mid; }
    return Math.min(lo, cumulativeValues.length - 1);
  }

  // Greedy k-means++ (reference.kmeans_plusplus_steps), drawing with `random`.
  function kmeansPlusPlus(X, k, weights, random) {
    const nLocalTrials = 2 + Math.floor(Math.log(k));
    const steps = [];
    const wsum = sum(weights);
    const firstProbabilities = weights.map((w) => w / wsum);
    const first = searchSorted(cumulative(firstProbabilities), random());
    let closest = X.map((x) => squaredDistance(x, X[first]));
    const firstPotential = sum(weights.map((w, i) => w * closest[i]));
    steps.push({ index: 0, chosen: first, candidates: [first], probabilities: firstProbabilities,
      candidatePotentials: [firstPotential], inertia: firstPotential });
    for (let index = 1; index < k; index++) {
      const weighted = weights.map((w, i) => w * closest[i]);
      const potential = sum(weighted);
      const cdf = cumulative(weighted);
      const candidates = [];
      for (let t = 0; t < nLocalTrials; t++) candidates.push(searchSorted(cdf, random() * potential));
      const probabilities = potential > 0 ? weighted.map((v) => v / potential)
        : X.map((_, i) => (i === 0 ? 1 : 0));
      let bestPotential = Infinity, best = null, bestClosest = null;
      const candidatePotentials = [];
      for (const candidate of candidates) {
        const closestIfAdded = closest.map((c, i) => Math.min(c, squaredDistance(X[i], X[candidate])));
        const candidatePotential = sum(weights.map((w, i) => w * closestIfAdded[i]));
        candidatePotentials.push(candidatePotential);
        if (candidatePotential < bestPotential) {
          bestPotential = candidatePotential; best = candidate; bestClosest = closestIfAdded;
        }
      }
      closest = bestClosest;
      steps.push({ index, chosen: best, candidates, probabilities, candidatePotentials,
        inertia: bestPotential });
    }
    return steps;
  }

  // init="random": k distinct rows by weight, one row at a time.
  function randomSeeding(X, k, weights, random) {
    const available = weights.slice(), steps = [];
    let closest = null;
    for (let index = 0; index < k; index++) {
      const total = sum(available);
      const probabilities = available.map((w) => w / total);
      const row = searchSorted(cumulative(probabilities), random());
      available[row] = 0;
      const toRow = X.map((x) => squaredDistance(x, X[row]));
      closest = closest === null ? toRow : closest.map((c, i) => Math.min(c, toRow[i]));
      const potential = sum(weights.map((w, i) => w * closest[i]));
      steps.push({ index, chosen: row, candidates: [row], probabilities,
        candidatePotentials: [potential], inertia: potential });
    }
    return steps;
  }

  // The D^2 probabilities each seeding step drew from, for given chosen rows
  // (the Python trace records the rows; the page recomputes the chances).
  function seedingProbabilities(centered, chosen, method, weights) {
    const out = [];
    if (method === "random") {
      const available = weights.slice();
      for (const row of chosen) {
        const total = sum(available);
        out.push(available.map((w) => w / total));
        available[row] = 0;
      }
      return out;
    }
    const wsum = sum(weights);
    out.push(weights.map((w) => w / wsum));
    let closest = centered.map((x) => squaredDistance(x, centered[chosen[0]]));
    for (let index = 1; index < chosen.length; index++) {
      const weighted = weights.map((w, i) => w * closest[i]);
      const potential = sum(weighted);
      out.push(potential > 0 ? weighted.map((v) => v / potential)
        : centered.map((_, i) => (i === 0 ? 1 : 0)));
      closest = closest.map((c, i) => Math.min(c, squaredDistance(centered[i], centered[chosen[index]])));
    }
    return out;
  }

  // --- which distances the bounds skip (kmeans_core.teach_page.distance_marks) ---
  function allDistances(x, centers) {
    return centers.map((c) => Math.sqrt(squaredDistance(x, c)));
  }
  function argminSquared(x, centers) {
    let best = 0, bestDistance = squaredDistance(x, centers[0]);
    for (let j = 1; j < centers.length; j++) {
      const distance = squaredDistance(x, centers[j]);
      if (distance < bestDistance) { best = j; bestDistance = distance; }
    }
    return best;
  }
  function ownAndSecond(distances, label) {
    let second = Infinity;
    distances.forEach((d, j) => { if (j !== label && d < second) second = d; });
    return [distances[label], second];
  }
  function shiftsAndSeparations(centers, previous) {
    const k = centers.length;
    const shifts = centers.map((c, j) => Math.sqrt(squaredDistance(c, previous[j])));
    const half = centers.map((a) => centers.map((b) => 0.5 * Math.sqrt(squaredDistance(a, b))));
    const halfSeparation = half.map((row, j) => {
      let m = Infinity;
      for (let o = 0; o < k; o++) if (o !== j && row[o] < m) m = row[o];
      return m;
    });
    return [shifts, half, halfSeparation];
  }

  // The bounds algorithms' marks: which distances each iteration computes.
  // Both start by labelling every point with all k distances; each later
  // iteration moves the bounds by the centres' shifts and computes only the
  // distances they cannot rule out (``laterPass`` adds them to ``computed``).
  function boundedMarks(X, centersPerIteration, firstPass, laterPass) {
    const out = [];
    let state = null, previous = null;
    for (const centers of centersPerIteration) {
      const computed = new Array(X.length).fill(0);
      if (previous === null) {
        const labels = X.map((x) => argminSquared(x, centers));
        state = firstPass(X, centers, labels);
        computed.fill(centers.length);
      } else {
        laterPass(X, centers, previous, state, computed);
      }
      out.push({ computed, labels: state.labels.slice() });
      previous = centers;
    }
    return out;
  }

  // Hamerly (2010): one upper and one lower bound per point.
  function hamerlyMarks(X, centersPerIteration) {
    return boundedMarks(X, centersPerIteration, (X, centers, labels) => {
      const upper = new Array(X.length), lower = new Array(X.length);
      X.forEach((x, i) => { [upper[i], lower[i]] = ownAndSecond(allDistances(x, centers), labels[i]); });
      return { labels, upper, lower };
    }, (X, centers, previous, { labels, upper, lower }, computed) => {
      const k = centers.length;
      const [shifts, , halfSeparation] = shiftsAndSeparations(centers, previous);
      let largest = 0;
      shifts.forEach((s, j) => { if (s > shifts[largest]) largest = j; });
      let secondLargest = -Infinity;
      shifts.forEach((s, j) => { if (j !== largest && s > secondLargest) secondLargest = s; });
      if (k === 1) secondLargest = 0;
      for (let i = 0; i < X.length; i++) {
        upper[i] = upper[i] + shifts[labels[i]];
        lower[i] = lower[i] - (labels[i] === largest ? secondLargest : shifts[largest]);
        const bound = Math.max(halfSeparation[labels[i]], lower[i]);
        if (upper[i] >= bound) {
          upper[i] = Math.sqrt(squaredDistance(X[i], centers[labels[i]]));
          computed[i] += 1;
          if (upper[i] >= bound) {
            labels[i] = argminSquared(X[i], centers);
            [upper[i], lower[i]] = ownAndSecond(allDistances(X[i], centers), labels[i]);
            computed[i] += k;
          }
        }
      }
    });
  }

  // Elkan (2003): an upper bound and a lower bound per point and centre.
  function elkanMarks(X, centersPerIteration) {
    return boundedMarks(X, centersPerIteration, (X, centers, labels) => {
      const lower = X.map((x) => allDistances(x, centers));
      const upper = lower.map((row, i) => row[labels[i]]);
      return { labels, upper, lower };
    }, (X, centers, previous, { labels, upper, lower }, computed) => {
      const k = centers.length;
      const [shifts, half, halfSeparation] = shiftsAndSeparations(centers, previous);
      for (let i = 0; i < X.length; i++) {
        upper[i] = upper[i] + shifts[labels[i]];
        for (let j = 0; j < k; j++) lower[i][j] = Math.max(lower[i][j] - shifts[j], 0);
        if (!(upper[i] >= halfSeparation[labels[i]])) continue;
        let tight = false;
        for (let j = 0; j < k; j++) {
          let candidate = labels[i] !== j && upper[i] >= lower[i][j] && upper[i] >= half[labels[i]][j];
          if (candidate && !tight) {
            upper[i] = Math.sqrt(squaredDistance(X[i], centers[labels[i]]));
            lower[i][labels[i]] = upper[i];
            tight = true;
            computed[i] += 1;
            candidate = upper[i] >= lower[i][j] && upper[i] >= half[labels[i]][j];
          }
          if (!candidate) continue;
          const toJ = Math.sqrt(squaredDistance(X[i], centers[j]));
          computed[i] += 1;
          lower[i][j] = toJ;
          if (toJ < upper[i] || (toJ === upper[i] && j < labels[i])) { labels[i] = j; upper[i] = toJ; }
        }
      }
    });
  }

  function attachMarks(X, stages) {
    const iterations = stages.filter((s) => s.kind === "assignment" && !s.final);
    const centers = iterations.map((s) => s.centers);
    const marks = { hamerly: hamerlyMarks(X, centers), elkan: elkanMarks(X, centers) };
    iterations.forEach((stage, t) => {
      stage.marks = { hamerly: marks.hamerly[t].computed, elkan: marks.elkan[t].computed };
    });
    return stages;
  }

  // A whole run: seeding (by `random`) or given seed rows, then Lloyd.
  function run(X, k, { init = "k-means++", random = Math.random, seedRows = null,
                       maxIter = 300, tol = 1e-4 } = {}) {
    const weights = new Array(X.length).fill(1);
    const mean = columnMeans(X), centered = shift(X, mean, -1);
    let seeding;
    if (seedRows === null) {
      seeding = init === "k-means++" ? kmeansPlusPlus(centered, k, weights, random)
        : randomSeeding(centered, k, weights, random);
    } else {
      const probabilities = seedingProbabilities(centered, seedRows, init, weights);
      seeding = seedRows.map((row, index) => ({ index, chosen: row, probabilities: probabilities[index] }));
    }
    const chosen = [];
    const stages = seeding.map((step) => {
      chosen.push(step.chosen);
      return Object.assign({ kind: "seeding", method: init, nClusters: k },
        step, { centers: shift(chosen.map((row) => centered[row]), mean, +1) });
    });
    const centers = copy(chosen.map((row) => centered[row]));
    return attachMarks(X, stages.concat(lloydStages(centered, centers, weights, maxIter, tol, mean)));
  }

  // Lloyd from given centres (in the caller's coordinates): a dragged start.
  function runFrom(X, initCenters, { maxIter = 300, tol = 1e-4 } = {}) {
    const weights = new Array(X.length).fill(1);
    const mean = columnMeans(X), centered = shift(X, mean, -1);
    const centers = shift(initCenters, mean, -1);
    const start = { kind: "init", centers: copy(initCenters) };
    return attachMarks(X, [start].concat(lloydStages(centered, centers, weights, maxIter, tol, mean)));
  }

  return { pairwiseSum, sum, squaredDistance, columnMeans, absoluteTol, assign,
    emptyClusterRelocations, update, inertia, lloydStages, randomGenerator, kmeansPlusPlus,
    randomSeeding, seedingProbabilities, hamerlyMarks, elkanMarks, run, runFrom };
})();

// ---------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------

const DATA = JSON.parse(document.getElementById("page-data").textContent);
const DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz";
const decode = (text) => Array.from(text, (ch) => DIGITS.indexOf(ch));
// matplotlib's tab10, as the package's figures colour clusters.
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const REASONS = {
  "labels unchanged": "no label changed in the last assignment (strict convergence)",
  "center shift within tol": "the centres moved by at most tol in total squared distance",
  "max_iter reached": "max_iter was reached",
};
const $ = (id) => document.getElementById(id);
const fmt = (v) => (Math.abs(v) >= 1e9 || (Math.abs(v) < 1e-3 && v !== 0)
  ? v.toExponential(5) : Number(v.toPrecision(8)).toString());

const state = {
  dataset: 0,          // index into DATA.datasets, or -1 for "your points"
  X: [],
  added: 0,            // points the learner added to the current data
  k: 4, init: "k-means++", algorithm: "lloyd",
  run: null, source: "python", startNumber: 0,
  position: -1,        // -1: the data alone; else an index into run
  timer: null, drag: null, view: null, message: "",
};

// The Python trace of a preset, in the page's stage format.
function pythonRun(dataset, init, k) {
  const trace = dataset.traces[init][String(k)];
  const X = dataset.X;
  const mean = KM.columnMeans(X), centered = X.map((x) => x.map((v, f) => v - mean[f]));
  const seeds = trace.filter((s) => s.kind === "seeding");
  const chosenRows = seeds.map((s) => s.chosen);
  const probabilities = KM.seedingProbabilities(centered, chosenRows, init, new Array(X.length).fill(1));
  return trace.map((s) => {
    if (s.kind === "seeding") {
      return { kind: "seeding", method: init, nClusters: k, index: s.index, chosen: s.chosen,
        candidates: s.candidates, candidatePotentials: s.candidate_potentials,
        probabilities: probabilities[s.index], inertia: s.inertia,
        centers: chosenRows.slice(0, s.index + 1).map((row) => X[row].slice()) };
    }
    const stage = { kind: s.kind, labels: decode(s.labels), centers: s.centers, inertia: s.inertia };
    if (s.kind === "assignment") {
      Object.assign(stage, { iteration: s.iteration, nChanged: s.n_changed, final: s.final });
      if (s.marks) stage.marks = { hamerly: decode(s.marks.hamerly), elkan: decode(s.marks.elkan) };
    } else if (s.kind === "update") {
      Object.assign(stage, { iteration: s.iteration, centerShift: s.center_shift, relocated: s.relocated });
    } else {
      Object.assign(stage, { nIter: s.n_iter, reason: s.reason, tol: s.tol });
    }
    return stage;
  }).map((stage, i, all) => {
    if (stage.kind === "update") stage.previousCenters = all[i - 1].centers;
    return stage;
  });
}

function currentDataset() { return state.dataset >= 0 ? DATA.datasets[state.dataset] : null; }

function resetRun({ newStart = false } = {}) {
  stopRunning();
  const dataset = currentDataset();
  state.position = -1;
  state.message = "";
  if (newStart) state.startNumber += 1;
  if (dataset && state.added === 0 && !newStart && state.startNumber === 0) {
    state.run = pythonRun(dataset, state.init, state.k);
    state.source = "python";
  } else if (state.X.length >= state.k) {
    const random = KM.randomGenerator(1000 + state.startNumber);
    state.run = KM.run(state.X, state.k, { init: state.init, random,
      maxIter: DATA.max_iter, tol: DATA.tol });
    state.source = "page";
  } else {
    state.run = null;
    state.source = "page";
    state.message = `Click on the plot to add points: k = ${state.k} needs at least ${state.k}.`;
  }
  render();
}

function chooseDataset(index) {
  state.dataset = index;
  state.added = 0;
  state.startNumber = 0;
  const dataset = currentDataset();
  state.X = dataset ? dataset.X.map((x) => x.slice()) : [];
  if (dataset) { state.k = dataset.default_k; $("k").value = String(state.k); }
  state.view = makeView(state.X);
  resetRun();
}

// --- coordinates ---------------------------------------------------------
function makeView(X) {
  const canvas = $("plot");
  let xmin = -10, xmax = 10, ymin = -10, ymax = 10;
  if (X.length >= 2) {
    xmin = Math.min(...X.map((x) => x[0])); xmax = Math.max(...X.map((x) => x[0]));
    ymin = Math.min(...X.map((x) => x[1])); ymax = Math.max(...X.map((x) => x[1]));
  }
  const span = Math.max(xmax - xmin, ymax - ymin, 1e-9) * 1.12;
  const cx = (xmin + xmax) / 2, cy = (ymin + ymax) / 2;
  const scale = Math.min(canvas.width, canvas.height) / span;
  return {
    scale, cx, cy,
    toPixel: ([x, y]) => [canvas.width / 2 + (x - cx) * scale, canvas.height / 2 - (y - cy) * scale],
    toData: ([px, py]) => [cx + (px - canvas.width / 2) / scale, cy - (py - canvas.height / 2) / scale],
  };
}

// --- what the current position shows ---------------------------------------
function stage() { return state.run && state.position >= 0 ? state.run[state.position] : null; }

function shownCenters() {
  const s = stage();
  if (state.drag) return state.drag.centers;
  return s ? s.centers : null;
}

function shownLabels() {
  const s = stage();
  return s && s.labels ? s.labels : null;
}

// --- drawing -----------------------------------------------------------------
function hexToRgb(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

function drawRegions(ctx, centers) {
  const canvas = ctx.canvas, cell = 4;
  const w = Math.ceil(canvas.width / cell), h = Math.ceil(canvas.height / cell);
  const image = ctx.createImageData(w, h);
  const rgb = centers.map((_, j) => hexToRgb(COLORS[j % COLORS.length]));
  for (let py = 0; py < h; py++) {
    for (let px = 0; px < w; px++) {
      const point = state.view.toData([(px + 0.5) * cell, (py + 0.5) * cell]);
      let best = 0, bestDistance = Infinity;
      centers.forEach((c, j) => {
        const d = KM.squaredDistance(point, c);
        if (d < bestDistance) { best = j; bestDistance = d; }
      });
      const o = 4 * (py * w + px);
      // A pale tint of the cluster colour: the region of its centre.
      image.data[o] = 255 - (255 - rgb[best][0]) * 0.22;
      image.data[o + 1] = 255 - (255 - rgb[best][1]) * 0.22;
      image.data[o + 2] = 255 - (255 - rgb[best][2]) * 0.22;
      image.data[o + 3] = 255;
    }
  }
  const off = document.createElement("canvas");
  off.width = w; off.height = h;
  off.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, 0, 0, w * cell, h * cell);
}

function drawCenter(ctx, center, j, { faded = false, star = false } = {}) {
  const [px, py] = state.view.toPixel(center);
  ctx.save();
  ctx.globalAlpha = faded ? 0.35 : 1;
  ctx.fillStyle = COLORS[j % COLORS.length];
  ctx.strokeStyle = "#000";
  ctx.lineWidth = 2.5;
  ctx.beginPath();
  if (star) {
    for (let p = 0; p < 10; p++) {
      const r = p % 2 === 0 ? 14 : 6, a = -Math.PI / 2 + p * Math.PI / 5;
      ctx.lineTo(px + r * Math.cos(a), py + r * Math.sin(a));
    }
    ctx.closePath();
  } else {
    ctx.arc(px, py, 10, 0, 2 * Math.PI);
  }
  ctx.fill(); ctx.stroke();
  if (!star) {
    ctx.strokeStyle = "#fff"; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(px - 5, py); ctx.lineTo(px + 5, py);
    ctx.moveTo(px, py - 5); ctx.lineTo(px, py + 5); ctx.stroke();
  }
  ctx.restore();
}

function drawArrow(ctx, from, to) {
  const [x0, y0] = state.view.toPixel(from), [x1, y1] = state.view.toPixel(to);
  const length = Math.hypot(x1 - x0, y1 - y0);
  if (length < 3) return;
  ctx.save();
  ctx.strokeStyle = "#000"; ctx.fillStyle = "#000"; ctx.lineWidth = 2;
  ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
  const a = Math.atan2(y1 - y0, x1 - x0);
  ctx.beginPath(); ctx.moveTo(x1, y1);
  ctx.lineTo(x1 - 10 * Math.cos(a - 0.4), y1 - 10 * Math.sin(a - 0.4));
  ctx.lineTo(x1 - 10 * Math.cos(a + 0.4), y1 - 10 * Math.sin(a + 0.4));
  ctx.closePath(); ctx.fill();
  ctx.restore();
}

function boundsMarks(s) {
  if (state.algorithm === "lloyd" || !s || s.kind !== "assignment" || !s.marks) return null;
  return s.marks[state.algorithm];
}

function drawPlot() {
  const canvas = $("plot"), ctx = canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const s = stage(), centers = shownCenters();
  const seeding = s && s.kind === "seeding" && !state.drag;
  if (centers && !seeding) drawRegions(ctx, centers);
  // While dragging, the labels follow the centres (an assignment preview).
  const labels = state.drag ? KM.assign(state.X, centers) : (seeding ? null : shownLabels());
  const marks = state.drag ? null : boundsMarks(s);
  const n = state.X.length;
  state.X.forEach((x, i) => {
    const [px, py] = state.view.toPixel(x);
    ctx.beginPath();
    if (seeding) {
      // Area proportional to the chance of being drawn (n * p = 1: average).
      const p = s.probabilities[i];
      const r = 1.5 + 4.5 * Math.sqrt(n * p);
      ctx.arc(px, py, Math.min(r, 16), 0, 2 * Math.PI);
      ctx.fillStyle = p > 0 ? `rgba(214, 39, 40, ${Math.min(0.25 + 0.5 * Math.sqrt(n * p), 0.9)})` : "#c8cdd3";
      ctx.fill();
      return;
    }
    ctx.arc(px, py, 4.2, 0, 2 * Math.PI);
    const color = labels ? COLORS[labels[i] % COLORS.length] : "#6b7480";
    if (marks && marks[i] === 0) {
      // The bounds proved this label without measuring any distance.
      ctx.strokeStyle = color; ctx.lineWidth = 1.8; ctx.stroke();
    } else {
      ctx.fillStyle = color; ctx.fill();
      if (marks) { ctx.strokeStyle = "#000"; ctx.lineWidth = marks[i] > 1 ? 2.2 : 1; ctx.stroke(); }
    }
  });
  if (seeding) {
    s.candidates.forEach((row) => {
      const [px, py] = state.view.toPixel(state.X[row]);
      ctx.beginPath(); ctx.arc(px, py, 12, 0, 2 * Math.PI);
      ctx.strokeStyle = "#000"; ctx.lineWidth = 1.5; ctx.setLineDash([4, 3]); ctx.stroke(); ctx.setLineDash([]);
    });
    s.centers.forEach((c, j) => drawCenter(ctx, c, j, { star: true }));
    return;
  }
  if (s && s.kind === "update" && !state.drag) {
    s.previousCenters.forEach((c, j) => drawCenter(ctx, c, j, { faded: true }));
    s.previousCenters.forEach((c, j) => drawArrow(ctx, c, s.centers[j]));
  }
  if (centers) centers.forEach((c, j) => drawCenter(ctx, c, j));
}

function halfSteps() {
  return state.run ? state.run.map((s, i) => [s, i]).filter(([s]) => s.kind === "assignment" || s.kind === "update") : [];
}

const halfStepName = (s) => (s.kind === "assignment" ? (s.final ? `A${s.iteration}*` : `A${s.iteration}`) : `U${s.iteration}`);

const axisLabel = (v) => (Math.abs(v) >= 1e6 ? v.toExponential(2) : Number(v.toPrecision(5)).toString());

function drawChart() {
  const canvas = $("wcss-chart"), ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const steps = halfSteps();
  if (steps.length === 0) return;
  const left = 70, right = canvas.width - 10, top = 10, bottom = canvas.height - 24;
  const values = steps.map(([s]) => s.inertia);
  let lo = Math.min(...values), hi = Math.max(...values);
  if (hi - lo < 1e-12 * Math.max(1, hi)) { hi += 0.5 * Math.max(1, Math.abs(hi)) * 1e-3; lo -= 0.5 * Math.max(1, Math.abs(lo)) * 1e-3; }
  const x = (t) => left + (steps.length === 1 ? 0 : (t / (steps.length - 1)) * (right - left));
  const y = (v) => bottom - ((v - lo) / (hi - lo)) * (bottom - top);
  ctx.strokeStyle = "#aab3bd"; ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(left, top); ctx.lineTo(left, bottom); ctx.lineTo(right, bottom); ctx.stroke();
  ctx.fillStyle = "#5a6470"; ctx.font = "12px system-ui, sans-serif";
  ctx.textAlign = "right"; ctx.fillText(axisLabel(hi), left - 4, top + 8); ctx.fillText(axisLabel(lo), left - 4, bottom);
  ctx.textAlign = "center"; ctx.fillText("half-step (A = assignment, U = update)", (left + right) / 2, canvas.height - 6);
  // The whole run, faint; the part already shown, strong.
  const shown = steps.filter(([, i]) => i <= state.position).length;
  [[steps.length, "#c9d6ea"], [shown, "#2a6fdb"]].forEach(([count, color]) => {
    if (count === 0) return;
    ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.beginPath();
    for (let t = 0; t < count; t++) { const px = x(t), py = y(values[t]); if (t === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py); }
    ctx.stroke();
    ctx.fillStyle = color;
    for (let t = 0; t < count; t++) {
      ctx.beginPath();
      const s = steps[t][0];
      if (s.kind === "assignment") ctx.arc(x(t), y(values[t]), 3, 0, 2 * Math.PI);
      else ctx.rect(x(t) - 3, y(values[t]) - 3, 6, 6);
      ctx.fill();
    }
  });
  const end = state.run[state.run.length - 1];
  if (end.kind === "converged" && state.position === state.run.length - 1) {
    ctx.strokeStyle = "#1f7a3a"; ctx.setLineDash([4, 3]);
    ctx.beginPath(); ctx.moveTo(x(steps.length - 1), top); ctx.lineTo(x(steps.length - 1), bottom); ctx.stroke();
    ctx.setLineDash([]);
  }
}

function table(headers, rows) {
  return `<table><tr>${headers.map((h) => `<th>${h}</th>`).join("")}</tr>${rows.map((r) =>
    `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")}</table>`;
}

function describe(s) {
  const k = state.k, n = state.X.length;
  if (!state.run) return ["Add points", state.message];
  if (!s) {
    const first = state.run[0];
    const how = first.kind === "init" ? "from the centres you placed"
      : state.init === "k-means++" ? "k-means++ seeding" : "random seeding";
    return ["Start", `${n} points, k = ${k}. Press <b>Step</b> to begin (${how}).`];
  }
  if (s.kind === "init") {
    return ["Your start", "You placed the centres. Step on to see where Lloyd's iterations take them."];
  }
  if (s.kind === "seeding") {
    const title = `Seeding: centre ${s.index + 1} of ${s.nClusters}`;
    if (s.method === "random") {
      return [title, `Random seeding: every point not chosen yet is equally likely (chance ${fmt(Math.max(...s.probabilities))}). Drew row ${s.chosen}. Potential (WCSS of the centres so far): ${fmt(s.inertia)}.`];
    }
    if (s.index === 0) {
      return [title, `The first centre is drawn at random, every point equally likely (1/${n}). Drew row ${s.chosen}.`];
    }
    const rows = s.candidates.map((row, c) => [row === s.chosen && s.candidatePotentials[c] === s.inertia ? `<b>${row} &#x2605;</b>` : row,
      fmt(s.probabilities[row]), fmt(s.candidatePotentials[c])]);
    return [title, `Each point's chance is proportional to <b>D&sup2;</b>, its squared distance to the nearest centre chosen so far (the bigger and redder the dot, the likelier). ${s.candidates.length} candidates were drawn (dashed circles); the one that leaves the smallest potential is kept.` +
      table(["candidate row", "chance", "potential if kept"], rows)];
  }
  if (s.kind === "assignment") {
    const title = s.final ? "Final assignment" : `Iteration ${s.iteration}: assignment`;
    const text = s.final ? "The last update moved the centres a little; one more assignment makes the labels match them."
      : "Every point joins its nearest centre (a tie goes to the lower-numbered centre). The coloured regions are the Voronoi cells of the centres.";
    return [title, `${text} <b>${s.nChanged}</b> label${s.nChanged === 1 ? "" : "s"} changed.`];
  }
  if (s.kind === "update") {
    const tol = state.run[state.run.length - 1].tol;
    let text = `Every centre moves to the mean of its points (arrows). Total squared shift <b>${fmt(s.centerShift)}</b>; the run stops once it is at most tol&nbsp;=&nbsp;${fmt(tol)} (10<sup>-4</sup> &times; mean variance of the data).`;
    for (const [cluster, row] of s.relocated) {
      text += ` <br><b>Cluster ${cluster} was empty</b>: it took point ${row}, the one farthest from its own centre.`;
    }
    return [`Iteration ${s.iteration}: update`, text];
  }
  return [`Converged after ${s.nIter} iteration${s.nIter === 1 ? "" : "s"}`,
    `Stopped because ${REASONS[s.reason] || s.reason}. Final WCSS ${fmt(s.inertia)}.`];
}

function renderBounds(s) {
  const box = $("bounds-box");
  if (state.algorithm === "lloyd") {
    box.innerHTML = "Lloyd's algorithm measures every point against every centre: n &times; k distances per assignment. Choose Hamerly or Elkan to see what their bounds save.";
    return;
  }
  const name = state.algorithm === "hamerly" ? "Hamerly" : "Elkan";
  const all = halfSteps().map(([st]) => st).filter((st) => st.kind === "assignment" && st.marks);
  const total = all.reduce((acc, st) => acc + st.marks[state.algorithm].reduce((a, b) => a + b, 0), 0);
  const lloydTotal = all.length * state.X.length * state.k;
  let text = "";
  const marks = boundsMarks(s);
  if (marks) {
    const computed = marks.reduce((a, b) => a + b, 0), nk = state.X.length * state.k;
    const skippedPoints = marks.filter((m) => m === 0).length;
    text = `<span class="big" id="bounds-count">${computed} of ${nk}</span> point&ndash;centre distances computed in this assignment (${(100 * (1 - computed / nk)).toFixed(1)}% skipped). ` +
      (s.iteration === 1 ? "The first iteration has no bounds yet: everything is measured. "
        : `<b>${skippedPoints}</b> points (hollow) kept their label without measuring anything; outlined points measured some distances (thick: more than one). `);
  } else {
    text = `Step to an assignment to see which distances ${name}'s bounds skip. `;
  }
  text += `Whole run: ${name} ${total} vs Lloyd ${lloydTotal} distances.`;
  box.innerHTML = text;
}

function renderList() {
  const list = $("wcss-list");
  list.innerHTML = "";
  for (const [s, i] of halfSteps()) {
    if (i > state.position) break;
    const item = document.createElement("li");
    item.textContent = `${halfStepName(s)}  ${fmt(s.inertia)}`;
    item.dataset.value = String(s.inertia);
    if (i === state.position) item.className = "current";
    list.appendChild(item);
  }
  const current = list.querySelector(".current");
  if (current) current.scrollIntoView({ block: "nearest" });
}

function render() {
  const s = stage();
  const [title, detail] = describe(s);
  $("stage-title").textContent = title;
  $("stage-detail").innerHTML = detail;
  const wcss = $("wcss");
  const value = s && s.inertia !== undefined ? s.inertia : null;
  wcss.textContent = value === null ? "–" : fmt(value);
  $("wcss-label").textContent = s && s.kind === "seeding" ? "Potential (WCSS of the seeds so far)" : "WCSS";
  wcss.dataset.value = value === null ? "" : String(value);
  const converged = $("converged");
  const last = state.run ? state.run.length - 1 : -1;
  converged.hidden = !(state.run && state.position === last);
  if (!converged.hidden) converged.textContent = `Converged: ${state.run[last].nIter} iterations, ${REASONS[state.run[last].reason]}.`;
  $("step").disabled = !state.run || state.position >= last;
  $("back").disabled = !state.run || state.position < 0;
  $("rewind").disabled = !state.run || state.position < 0;
  $("run").disabled = !state.run || state.position >= last || state.timer !== null;
  $("pause").disabled = state.timer === null;
  const dataset = currentDataset();
  $("dataset-description").textContent = (dataset ? dataset.description : "Your own points: click on the plot to add them.")
    + (state.added > 0 ? ` You added ${state.added} point${state.added === 1 ? "" : "s"}.` : "");
  $("source").textContent = state.source === "python"
    ? `Numbers: kmeans_core's trace (the NumPy reference, which the tests hold equal to KMeans), random_state = ${DATA.random_state}.`
    : `Numbers: the page's own engine (the same rules as kmeans_core; the tests hold it to the package within 1e-12)${state.startNumber > 0 ? `, start #${state.startNumber}` : ""}.`;
  const axes = dataset ? dataset.axes : ["x", "y"];
  $("legend").innerHTML = `Horizontal: ${axes[0]}; vertical: ${axes[1]}. Circles with a cross: centres (faded: before the update). Stars: seeds.`;
  drawPlot();
  drawChart();
  renderList();
  renderBounds(s);
}

// --- controls ----------------------------------------------------------------
function step() {
  if (state.run && state.position < state.run.length - 1) { state.position += 1; render(); return true; }
  stopRunning();
  return false;
}
function back() { if (state.position >= 0) { state.position -= 1; render(); } }
function rewind() { stopRunning(); state.position = -1; render(); }
function startRunning() {
  if (state.timer !== null || !state.run) return;
  state.timer = setInterval(() => { if (!step()) stopRunning(); }, window.kmeansPage.runInterval);
  render();
}
function stopRunning() {
  if (state.timer !== null) { clearInterval(state.timer); state.timer = null; }
  if (state.run) render();
}

function eventPoint(event) {
  const canvas = $("plot"), rect = canvas.getBoundingClientRect();
  return [(event.clientX - rect.left) * canvas.width / rect.width,
    (event.clientY - rect.top) * canvas.height / rect.height];
}

function onPointerDown(event) {
  const pixel = eventPoint(event);
  const s = stage(), centers = s && s.kind !== "seeding" ? s.centers
    : (s && s.kind === "seeding" && s.index === s.nClusters - 1 ? s.centers : null);
  if (centers) {
    for (let j = centers.length - 1; j >= 0; j--) {
      const [px, py] = state.view.toPixel(centers[j]);
      if (Math.hypot(px - pixel[0], py - pixel[1]) <= 14) {
        stopRunning();
        state.drag = { index: j, centers: centers.map((c) => c.slice()) };
        $("plot").classList.add("dragging");
        $("plot").setPointerCapture(event.pointerId);
        return;
      }
    }
  }
  // Empty space: a new point. The data have changed, so the run starts over.
  state.X.push(state.view.toData(pixel));
  state.added += 1;
  resetRun();
}
function onPointerMove(event) {
  if (!state.drag) return;
  state.drag.centers[state.drag.index] = state.view.toData(eventPoint(event));
  drawPlot();
}
function onPointerUp() {
  if (!state.drag) return;
  const centers = state.drag.centers;
  state.drag = null;
  $("plot").classList.remove("dragging");
  state.run = KM.runFrom(state.X, centers, { maxIter: DATA.max_iter, tol: DATA.tol });
  state.source = "page";
  state.position = 0;
  render();
}

function setUp() {
  const datasetSelect = $("dataset");
  DATA.datasets.forEach((d, i) => datasetSelect.add(new Option(d.title, String(i))));
  datasetSelect.add(new Option("Your points (click to add)", "-1"));
  DATA.k_choices.forEach((k) => $("k").add(new Option(String(k), String(k))));
  datasetSelect.addEventListener("change", () => chooseDataset(Number(datasetSelect.value)));
  $("k").addEventListener("change", () => { state.k = Number($("k").value); state.startNumber = 0; resetRun(); });
  $("init").addEventListener("change", () => { state.init = $("init").value; state.startNumber = 0; resetRun(); });
  $("algorithm").addEventListener("change", () => { state.algorithm = $("algorithm").value; render(); });
  $("new-start").addEventListener("click", () => resetRun({ newStart: true }));
  $("clear-points").addEventListener("click", () => chooseDataset(state.dataset));
  $("step").addEventListener("click", step);
  $("back").addEventListener("click", () => { stopRunning(); back(); });
  $("rewind").addEventListener("click", rewind);
  $("run").addEventListener("click", startRunning);
  $("pause").addEventListener("click", stopRunning);
  const canvas = $("plot");
  canvas.addEventListener("pointerdown", onPointerDown);
  canvas.addEventListener("pointermove", onPointerMove);
  canvas.addEventListener("pointerup", onPointerUp);
  document.addEventListener("keydown", (event) => {
    // A focused control handles its own keys (space would press a button twice).
    if (event.target.tagName === "SELECT" || (event.key === " " && event.target.tagName === "BUTTON")) return;
    if (event.key === "ArrowRight") { stopRunning(); step(); event.preventDefault(); }
    else if (event.key === "ArrowLeft") { stopRunning(); back(); event.preventDefault(); }
    else if (event.key === " ") { if (state.timer === null) startRunning(); else stopRunning(); event.preventDefault(); }
  });
  chooseDataset(0);
}

// For the browser tests: the engine, the data and what is on screen.
window.kmeansPage = {
  KM, DATA, state,
  runInterval: 650,  // milliseconds between half-steps when running
  stage, shownLabels, pythonRun,
  // The in-page engine replaying a preset from the Python trace's seed rows.
  replay(name, init, k) {
    const dataset = DATA.datasets.find((d) => d.name === name);
    const trace = dataset.traces[init][String(k)];
    const seedRows = trace.filter((s) => s.kind === "seeding").map((s) => s.chosen);
    return KM.run(dataset.X, k, { init, seedRows, maxIter: DATA.max_iter, tol: DATA.tol });
  },
};

setUp();
