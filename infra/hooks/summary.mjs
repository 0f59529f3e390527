// Printed by azd after `azd provision` and `azd deploy` (azure.yaml hooks): where the status page
// is, the intake, the webhook URL of each region (no key in them: the bearer secret is in a header
// ACR sends) or the Event Grid subscription, and the one command that shows the key for the status
// page and the operator routes. Reads the template's outputs, which azd passes to hooks as
// environment variables. Prints no secret.
const env = process.env;
const line = (label, value) => console.log(`  ${label.padEnd(22)} ${value}`);
const missing = '(not provisioned yet)';

console.log('');
console.log('acr-geo-rollout');
line('status page', env.ROLLOUT_STATUS_PAGE_URL ?? missing);
// Templates from before the intake choice had webhooks only.
const intake = env.ROLLOUT_INTAKE ?? (env.ROLLOUT_WEBHOOK_URLS ? 'webhook' : undefined);
line('intake', intake ?? missing);
const hooks = (env.ROLLOUT_WEBHOOK_URLS ?? '').split(',').filter(Boolean);
if (intake === 'event-grid') line('ACR webhooks', 'none (Event Grid only)');
else {
  if (hooks.length === 0) line('ACR webhooks', missing);
  for (const h of hooks) {
    const at = h.indexOf('=');
    line(`webhook ${h.slice(0, at)}`, h.slice(at + 1));
  }
  line('webhook names', env.ROLLOUT_WEBHOOK_NAMES || missing);
}
if (intake === 'event-grid' || intake === 'both') {
  const topic = (env.ROLLOUT_EVENT_GRID_TOPIC_ID ?? '').split('/').at(-1) || missing;
  line('event grid topic', topic);
  // Made by infra/hooks/event-grid.mjs after `azd deploy`, once the function exists.
  line('event subscription', `${env.ROLLOUT_EVENT_GRID_SUBSCRIPTION || missing} (created after deploy)`);
  line('dead letters', env.ROLLOUT_DEAD_LETTER_CONTAINER || missing);
}
line('sign-in (Easy Auth)', env.ROLLOUT_EASY_AUTH ?? missing);
console.log('');
console.log(
  '  The status page and the operator routes take the Functions host key (query parameter `code` or',
);
console.log('  the x-functions-key header); the runtime creates it on its first start, after the first');
console.log('  deployment. Show it with:');
console.log(
  `    ${env.ROLLOUT_STATUS_KEY_COMMAND ?? 'az functionapp keys list -g <resource group> -n <app> --query functionKeys.default -o tsv'}`,
);
if (intake !== 'event-grid')
  console.log(
    '  The webhooks authenticate with the bearer secret (azd env get-value WEBHOOK_SECRET), never a key.',
  );
console.log('');
