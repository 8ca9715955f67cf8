import type { Role } from '../../connectors/definition.ts';
import type { BillingDriver, CrmDriver, ErpDriver } from './driver.ts';

/** The driver of each role. */
export interface Drivers {
  crm: CrmDriver;
  billing: BillingDriver;
  erp: ErpDriver;
}

/**
 * The simulator driver of a system: `src/sim/drivers/<system>/index.ts` (or `.js` once
 * compiled), found by name so that adding a system is adding its folder.
 *
 * @throws Error when the system has no driver folder, or its driver plays another role.
 */
export async function loadDriver<R extends Role>(role: R, system: string): Promise<Drivers[R]> {
  if (!/^[a-z][a-z0-9-]*$/.test(system)) throw new Error(`not a system name: ${system}`);
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  let module: { driver?: Drivers[R] };
  try {
    module = (await import(new URL(`./${system}/index.${ext}`, import.meta.url).href)) as {
      driver?: Drivers[R];
    };
  } catch (caught) {
    throw new Error(`no simulator driver for ${system} (src/sim/drivers/${system}/)`, {
      cause: caught,
    });
  }
  const driver = module.driver;
  if (!driver || driver.role !== role)
    throw new Error(`the simulator driver of ${system} does not drive a ${role} system`);
  return driver;
}
