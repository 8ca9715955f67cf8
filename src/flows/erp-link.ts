import type { FlowDeps, XrefLink } from './deps.ts';

/**
 * Links a canonical record to the ERP document just written. On an ordinary run a contradicting
 * link throws (revsync never silently re-points a link); on a repair run the old link may be
 * stale — the document behind it was deleted in the ERP and has just been posted again under the
 * same external id — so it is moved to the new document, and only from the id it still had.
 */
export async function erpLink(
  deps: Pick<FlowDeps, 'xrefs'>,
  link: XrefLink,
  repair: boolean,
): Promise<void> {
  if (repair) {
    const previous = await deps.xrefs.findExternal(link.canonicalId, link.system, link.objectType);
    if (previous !== undefined && previous !== link.externalId) {
      await deps.xrefs.relink(link, previous);
      return;
    }
  }
  await deps.xrefs.link(link);
}
