// Operator actions. Each button states what will happen in a confirmation dialog (with an
// optional reason, recorded in the audit) before it posts. Until the host has the action routes
// (GET /api/audit answers 404) no buttons are drawn.
import type { ReleaseSummaryView, RolloutSummaryView } from './api-types';
import { sendJson } from './api';
import { byId, el } from './dom';
import { messageOf, releaseName, shortDigest } from './format';
import { view } from './view';

const RETRYABLE = ['failed', 'halted', 'replication-timed-out'];
const PENDING = ['waiting-for-replica', 'replica-ready', 'awaiting-approval'];

/** What a button asks the operator to confirm, and what it then sends. */
export interface Confirm {
  title: string;
  what: string;
  run: (reason: string) => Promise<unknown>;
}

function regionsIn(rel: ReleaseSummaryView, states: string[]): string[] {
  return rel.rollouts.filter((r) => states.includes(r.state)).map((r) => r.region);
}

function listOf(xs: string[]): string {
  return xs.join(', ');
}

function withReason<T extends object>(body: T, reason: string): T & { reason?: string } {
  return reason ? { ...body, reason } : body;
}

export function actionButton(
  label: string,
  data: Record<string, string>,
  confirm: Confirm,
  cls?: string,
): HTMLButtonElement {
  const b = el('button', cls ?? null, label);
  b.type = 'button';
  for (const [k, v] of Object.entries(data)) b.dataset[k] = v;
  b.addEventListener('click', () => openConfirm(confirm));
  return b;
}

/** Newer release of the same repository in view: a rollback target must be older than it. */
function hasNewer(rel: ReleaseSummaryView): boolean {
  return view.releases.some((x) => x.repository === rel.repository && x.pushedAt > rel.pushedAt);
}

/** What the buttons of one release share: its name, their data attributes, and its routes. */
interface ReleaseButtons {
  rel: ReleaseSummaryView;
  name: string;
  data: (action: string, extra?: Record<string, string>) => Record<string, string>;
  /** POST to one of the release's own routes (releases/{id}/<action>). */
  postAction: (action: string, body: object) => (reason: string) => Promise<unknown>;
}

function releaseButtonsOf(rel: ReleaseSummaryView): ReleaseButtons {
  const path = 'releases/' + encodeURIComponent(rel.id) + '/';
  return {
    rel,
    name: releaseName(rel),
    data: (action, extra = {}) => ({ action, release: rel.id, ...extra }),
    postAction: (action, body) => (reason) => sendJson('POST', path + action, withReason(body, reason)),
  };
}

function retryButtons({ rel, name, data, postAction }: ReleaseButtons): HTMLButtonElement[] {
  const retry = regionsIn(rel, RETRYABLE);
  if (!retry.length) return [];
  return [
    actionButton('Retry', data('retry'), {
      title: 'Retry ' + name,
      what:
        'Starts ' +
        listOf(retry) +
        ' over with a fresh attempt budget and replication deadline. A region ' +
        'whose workloads already run a newer release is refused (409): use a rollback for that.',
      run: postAction('retry', {}),
    }),
  ];
}

/** One button per wave that awaits approval. */
function approveButtons({ rel, name, data, postAction }: ReleaseButtons): HTMLButtonElement[] {
  const waves: Record<string, string[]> = {};
  for (const r of rel.rollouts) if (r.state === 'awaiting-approval') (waves[r.wave] ??= []).push(r.region);
  return Object.entries(waves).map(([w, regions]) =>
    actionButton('Approve wave ' + w, data('approve', { wave: w }), {
      title: 'Approve wave ' + w + ' of ' + name,
      what:
        'Opens wave ' +
        w +
        ' of ' +
        name +
        ': ' +
        listOf(regions) +
        ' may start rolling it out. ' +
        'The approval is for this release only.',
      run: postAction('approve', { wave: Number(w) }),
    }),
  );
}

/** An active release: Pause or Resume, and Cancel while some region is still pending. */
function activeReleaseButtons({ rel, name, data, postAction }: ReleaseButtons): HTMLButtonElement[] {
  const pending = regionsIn(rel, PENDING);
  const buttons = [
    rel.paused
      ? actionButton('Resume', data('resume'), {
          title: 'Resume ' + name,
          what: 'Regions of ' + name + ' may start new attempts again.',
          run: postAction('resume', {}),
        })
      : actionButton('Pause', data('pause'), {
          title: 'Pause ' + name,
          what: 'No region of ' + name + ' starts a new attempt until it is resumed; running ones finish.',
          run: postAction('pause', {}),
        }),
  ];
  if (pending.length)
    buttons.push(
      actionButton(
        'Cancel',
        data('cancel'),
        {
          title: 'Cancel ' + name,
          what:
            'Every pending region (' +
            listOf(pending) +
            ') ends canceled; nothing new starts for this release.',
          run: postAction('cancel', {}),
        },
        'danger',
      ),
    );
  return buttons;
}

function rejectButton({ rel, name, data, postAction }: ReleaseButtons): HTMLButtonElement {
  return actionButton(
    'Reject digest',
    data('reject'),
    {
      title: 'Reject ' + shortDigest(rel.digest),
      what:
        'Cancels every pending region of ' +
        name +
        ' and rejects digest ' +
        rel.digest +
        ' for ' +
        rel.repository +
        ': any later push of it is recorded but never rolled out, until the rejection is lifted.',
      run: postAction('reject', {}),
    },
    'danger',
  );
}

/** A done release that succeeded somewhere and has a newer one in view can be rolled back to. */
function rollbackButtons({ rel, name, data }: ReleaseButtons): HTMLButtonElement[] {
  if (!(rel.status === 'done' && regionsIn(rel, ['succeeded']).length && hasNewer(rel))) return [];
  return [
    actionButton('Roll back to this', data('rollback'), {
      title: 'Roll back to ' + name,
      what:
        'Creates a new release of ' +
        name +
        ' (' +
        shortDigest(rel.digest) +
        '), newer than everything, ' +
        'that goes through the waves like a push: every region it targets returns to this digest.',
      run: (reason) => sendJson('POST', 'rollbacks', withReason({ releaseId: rel.id }, reason)),
    }),
  ];
}

export function releaseActions(rel: ReleaseSummaryView): HTMLSpanElement {
  const box = el('span', 'actions');
  if (!view.actions) return box;
  const b = releaseButtonsOf(rel);
  box.append(
    ...retryButtons(b),
    ...approveButtons(b),
    ...(rel.status === 'active' ? activeReleaseButtons(b) : []),
    rejectButton(b),
    ...rollbackButtons(b),
  );
  return box;
}

export function cellActions(rel: ReleaseSummaryView, r: RolloutSummaryView): HTMLSpanElement | null {
  if (!view.actions || !RETRYABLE.includes(r.state)) return null;
  const box = el('span', 'actions');
  box.appendChild(
    actionButton(
      'Retry ' + r.region,
      { action: 'retry', release: rel.id, region: r.region },
      {
        title: 'Retry ' + releaseName(rel) + ' in ' + r.region,
        what:
          'Starts ' +
          r.region +
          ' over (' +
          r.state +
          ' now) with a fresh attempt budget and replication deadline.' +
          ' Refused (409) if its workloads already run a newer release.',
        run: (reason) =>
          sendJson(
            'POST',
            'releases/' + encodeURIComponent(rel.id) + '/retry',
            withReason({ regions: [r.region] }, reason),
          ),
      },
    ),
  );
  return box;
}

let pendingAction: Confirm | null = null;
let afterAction: () => Promise<void> = () => Promise.resolve();

function openConfirm(c: Confirm): void {
  pendingAction = c;
  byId('confirm-title').textContent = c.title;
  byId('confirm-what').textContent = c.what;
  byId('confirm-reason', HTMLTextAreaElement).value = '';
  byId('confirm', HTMLDialogElement).showModal();
}

async function confirmAction(): Promise<void> {
  const c = pendingAction;
  pendingAction = null;
  byId('confirm', HTMLDialogElement).close();
  if (!c) return;
  const status = byId('action-status');
  status.hidden = false;
  status.className = 'action-status';
  status.textContent = c.title + ': sending\u2026';
  try {
    await c.run(byId('confirm-reason', HTMLTextAreaElement).value.trim());
    status.textContent = c.title + ': done.';
  } catch (e) {
    status.className = 'action-status error';
    status.textContent = c.title + ' was refused: ' + messageOf(e);
  }
  try {
    await afterAction();
  } catch {
    // the refresh loop reports it on its next turn
  }
}

/** Wires the confirmation dialog; `redraw` runs after every action, whatever its outcome. */
export function startActions(redraw: () => Promise<void>): void {
  afterAction = redraw;
  byId('confirm-ok').addEventListener('click', () => void confirmAction());
  byId('confirm-cancel').addEventListener('click', () => {
    pendingAction = null;
    byId('confirm', HTMLDialogElement).close();
  });
}
