/** Synthetic one-shot data for the method tests: the same generator the quickstart job uses. */
export * from '../../../src/data/synthetic';
