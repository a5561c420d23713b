/**
 * Seeds of the numerical tests, shifted by ONEMARK_TEST_SEED_OFFSET so that
 * scripts/numeric-capabilities.sh can measure the spread of each bounded figure over seeds as
 * well as over kernel paths. Unset, the tests run with their own fixed seeds.
 */
export function testSeed(seed: number): number {
  const offset = Number(process.env.ONEMARK_TEST_SEED_OFFSET ?? 0);
  return Number.isInteger(offset) ? seed + offset : seed;
}
