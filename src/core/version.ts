/** Sluice's version, as in package.json (a test keeps the two equal). Serialized environments and storage carry it. */
export const SLUICE_VERSION = "0.1.0";
