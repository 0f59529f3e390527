// Shape checks for the three formats, from the fields their documentation requires:
// Slack Block Kit (section: text or fields, text <= 3000, fields <= 10 of <= 2000; context:
// 1..10 elements; text objects {type: mrkdwn|plain_text, text}) and Adaptive Cards
// (AdaptiveCard: type + version; TextBlock: text; FactSet: facts of {title, value};
// Action.OpenUrl: url), wrapped in the Teams Workflows message envelope.
import { expect } from 'vitest';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are checked field by field
type Json = Record<string, any>;

const SLACK_BLOCK_TYPES = new Set([
  'section',
  'context',
  'divider',
  'header',
  'actions',
  'image',
  'rich_text',
]);

function expectTextObject(t: Json, max: number): void {
  expect(['mrkdwn', 'plain_text']).toContain(t.type);
  expect(typeof t.text).toBe('string');
  expect(t.text.length).toBeGreaterThan(0);
  expect(t.text.length).toBeLessThanOrEqual(max);
}

export function expectSlackBody(body: Json): void {
  expect(typeof body.text).toBe('string');
  expect(body.text.length).toBeGreaterThan(0);
  expect(Array.isArray(body.blocks)).toBe(true);
  expect(body.blocks.length).toBeGreaterThan(0);
  expect(body.blocks.length).toBeLessThanOrEqual(50);
  for (const b of body.blocks as Json[]) {
    expect(SLACK_BLOCK_TYPES.has(b.type), `block type ${b.type}`).toBe(true);
    if (b.type === 'section') {
      expect(b.text !== undefined || b.fields !== undefined).toBe(true);
      if (b.text) expectTextObject(b.text, 3000);
      if (b.fields) {
        expect(b.fields.length).toBeLessThanOrEqual(10);
        for (const f of b.fields) expectTextObject(f, 2000);
      }
    }
    if (b.type === 'context') {
      expect(b.elements.length).toBeGreaterThan(0);
      expect(b.elements.length).toBeLessThanOrEqual(10);
      for (const el of b.elements) expectTextObject(el, 3000);
    }
  }
}

function expectCardElement(el: Json): void {
  expect(typeof el.type).toBe('string');
  if (el.type === 'TextBlock') expect(typeof el.text).toBe('string');
  else if (el.type === 'FactSet') {
    expect(el.facts.length).toBeGreaterThan(0);
    for (const f of el.facts) {
      expect(typeof f.title).toBe('string');
      expect(typeof f.value).toBe('string');
    }
  } else throw new Error(`unexpected card element ${el.type}`);
}

export function expectTeamsBody(body: Json): Json {
  expect(body.type).toBe('message');
  expect(body.attachments).toHaveLength(1);
  const a = body.attachments[0];
  expect(a.contentType).toBe('application/vnd.microsoft.card.adaptive');
  expect(a.contentUrl).toBeNull();
  const card = a.content;
  expect(card.$schema).toBe('http://adaptivecards.io/schemas/adaptive-card.json');
  expect(card.type).toBe('AdaptiveCard');
  expect(card.version).toBe('1.4');
  expect(Array.isArray(card.body)).toBe(true);
  card.body.forEach(expectCardElement);
  for (const action of card.actions ?? []) {
    expect(action.type).toBe('Action.OpenUrl');
    expect(() => new URL(action.url)).not.toThrow();
  }
  return card as Json;
}

/** Every text a person sees in a Slack body, joined. */
export function slackTexts(body: Json): string {
  const out: string[] = [body.text];
  for (const b of body.blocks) {
    if (b.text) out.push(b.text.text);
    for (const f of b.fields ?? []) out.push(f.text);
    for (const el of b.elements ?? []) out.push(el.text);
  }
  return out.join('\n');
}

export function cardTexts(card: Json): string {
  const out: string[] = [];
  for (const el of card.body) {
    if (el.text) out.push(el.text);
    for (const f of el.facts ?? []) out.push(`${f.title}: ${f.value}`);
  }
  return out.join('\n');
}
