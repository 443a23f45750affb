// The ESM entry: the same implementation as the CommonJS one (index.js), so both share one set of live servers.
import cjs from './index.js';

export const { startYundong, findBinary, platformPackage, Yundong, YundongError } = cjs;
