// Seeded randomness for tests: random but repeatable inputs. A run's seed is printed when it is
// drawn; `TESSERA_SEED=<seed> npx vitest run <file>` replays that run's choices.

/** mulberry32: floats in [0, 1) from a 32-bit seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The environment variable that replays a run. */
const SEED_ENV = "TESSERA_SEED";

let runSeed: number | null = null;

/**
 * This test process's seed: `TESSERA_SEED` when set, otherwise a fresh one. Drawn once per process
 * (vitest runs each file in its own) and printed with the line that replays it.
 */
export function testSeed(): number {
  if (runSeed !== null) return runSeed;
  const fromEnv = process.env[SEED_ENV];
  if (fromEnv !== undefined && fromEnv !== "") {
    const n = Number(fromEnv);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`${SEED_ENV} must be an integer from 0 to 4294967295, got '${fromEnv}'`);
    runSeed = n;
  } else {
    // The one place a test may use an unseeded source: choosing the seed itself.
    runSeed = Math.floor(Math.random() * 0x100000000);
  }
  console.log(`[seed] ${SEED_ENV}=${runSeed} (${fromEnv ? "from the environment" : "fresh"}; set it to replay this run)`);
  return runSeed;
}

/**
 * An independent stream derived from one seed: concurrent actors (simulated clients) each draw from
 * their own, so a replay gives each actor the same choices whatever order they ran in.
 */
export function forkPrng(seed: number, stream: number): () => number {
  // Mix the stream number in with a multiplicative hash so that neighbouring streams do not overlap.
  return prng((seed ^ Math.imul(stream + 1, 0x9e3779b1)) >>> 0);
}

/** An integer in [0, n) from `rand`. */
export function randInt(rand: () => number, n: number): number {
  return Math.floor(rand() * n);
}
