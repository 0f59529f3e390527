// The release detail view (#release=<id>): the release's digest, status and push time above
// its timeline.
import type { ReleaseDetailView } from './api-types';
import { getJson } from './api';
import { byId, el, timeEl } from './dom';
import { messageOf, releaseName, shortDigest } from './format';
import { drawTimeline, timelineLegend } from './timeline';
import { view } from './view';

function detailId(): string | null {
  const m = /^#release=([0-9a-f-]+)$/.exec(location.hash);
  return m?.[1] ? decodeURIComponent(m[1]) : null;
}

export async function drawDetail(): Promise<void> {
  const section = byId('detail-section');
  const id = detailId();
  if (!id) {
    section.hidden = true;
    return;
  }
  const body = byId('detail-body');
  let rel: ReleaseDetailView;
  try {
    rel = await getJson<ReleaseDetailView>('releases/' + encodeURIComponent(id));
  } catch (e) {
    section.hidden = false;
    body.replaceChildren(el('p', 'banner', 'Could not load release ' + id + ': ' + messageOf(e)));
    return;
  }
  if (detailId() !== id) return;
  section.hidden = false;
  section.dataset.release = rel.id;
  byId('detail-title').textContent = 'Timeline of ' + releaseName(rel);
  const meta = el('p', 'sub');
  meta.appendChild(document.createTextNode(shortDigest(rel.digest) + ' \u00b7 ' + rel.status + ' \u00b7 '));
  meta.appendChild(timeEl(rel.pushedAt, 'pushed '));
  const box = el('div', 'timeline');
  box.appendChild(drawTimeline(rel, view.audit));
  body.replaceChildren(meta, box, timelineLegend());
}
