// The probe's version, printed by --version and in every report. Kept equal to package.json's version
// (a test checks it): the bundle must not read package.json at run time.
export const PROBE_VERSION = '0.1.0';
