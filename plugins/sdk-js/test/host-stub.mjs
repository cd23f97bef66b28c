// The host's `log` import, for the tests: every call is recorded in `logged`.
export const logged = [];
export function log(level, message) {
  logged.push([level, message]);
}
