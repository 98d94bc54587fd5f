// Trend and Counter as k6 reports them to handleSummary (values: count/rate, avg/min/med/max/p(N)).
import { metrics } from './state.mjs';

class Metric {
  constructor(type, name, isTime) {
    if (metrics.has(name)) throw new Error(`metric ${name} defined twice`);
    this.type = type;
    this.name = name;
    this.contains = isTime ? 'time' : 'default';
    this.samples = [];
    metrics.set(name, this);
  }

  add(value) {
    if (typeof value !== 'number' || !isFinite(value)) throw new Error(`${this.name}: bad sample ${value}`);
    this.samples.push(value);
  }
}

export class Trend extends Metric {
  constructor(name, isTime) {
    super('trend', name, isTime);
  }
}

export class Counter extends Metric {
  constructor(name) {
    super('counter', name, false);
  }
}
