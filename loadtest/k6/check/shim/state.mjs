// What the stand-in modules share with the runner: the VU whose code is starting, and the metric samples.
export const current = { vu: 0, scenario: '', iteration: 0 };
export const metrics = new Map();
