// Read synchronously at the start of a VU's function, as the scenario scripts do.
import { current } from './state.mjs';

export default {
  vu: {
    get idInTest() { return current.vu; },
    get idInInstance() { return current.vu; },
  },
  scenario: {
    get name() { return current.scenario; },
    get iterationInTest() { return current.iteration; },
    get iterationInInstance() { return current.iteration; },
  },
};
