/** The event contract (DESIGN §4): types, one schema each, typed constructors, derived ids. */
export * from './types.js';
export * from './schemas.js';
export * from './ids.js';
export * from './events.js';
