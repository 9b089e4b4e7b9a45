/**
 * The ceiling for login and register: Bun.password.verify throughput at the configured argon2id
 * cost, with enough concurrency to keep Bun's hashing threads busy. Prints one JSON line.
 * Env: PASSWORD_MEMORY_COST (KiB), PASSWORD_TIME_COST, SECONDS.
 */
const memoryCost = Number(process.env.PASSWORD_MEMORY_COST ?? 19456);
const timeCost = Number(process.env.PASSWORD_TIME_COST ?? 2);
const seconds = Number(process.env.SECONDS ?? 10);

const hash = await Bun.password.hash("bench-password-1", { algorithm: "argon2id", memoryCost, timeCost });
await Promise.all(Array.from({ length: 4 }, () => Bun.password.verify("bench-password-1", hash))); // warm-up

let verified = 0;
const deadline = performance.now() + seconds * 1000;
const started = performance.now();
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (performance.now() < deadline) {
      await Bun.password.verify("bench-password-1", hash);
      verified++;
    }
  }),
);
const duration_us = Math.round((performance.now() - started) * 1000);
console.log(JSON.stringify({ verified, duration_us, verifies_per_s: verified / (duration_us / 1e6), memoryCost, timeCost }));
