// k6 builds a SharedArray once and shares it read-only between VUs; here there is one runtime anyway.
export class SharedArray {
  constructor(name, build) {
    const values = build();
    if (!Array.isArray(values)) throw new Error(`SharedArray ${name}: the function must return an array`);
    return Object.freeze(values);
  }
}
