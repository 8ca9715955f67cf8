/**
 * `@revsync/emulators`: local stand-ins for the vendor APIs revsync connects, close enough that
 * each vendor's own SDK works against them unchanged. `EMULATORS` starts any of them by name;
 * each vendor's module (`@revsync/emulators/<system>`) has its own start function and options,
 * and `@revsync/emulators/kit` what they are built from.
 */
export { EMULATORS } from './registry.ts';
export type { EmulatorEntry, EmulatorFlagSpec, StartedEmulator } from './registry.ts';
