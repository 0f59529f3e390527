// `npm run dev:stack`: the whole product on this machine to play with by hand — the local host at
// :7071 with the timer, the simulated geo-replicated ACR at :5050 and the simulated AKS clusters at
// :5060 (eastus home, westeurope and southeastasia replicas), until Ctrl-C.
import { runUntilSignalled } from './process-main';
import { startStack } from './stack';

runUntilSignalled('dev-stack', async () => {
  const stack = await startStack({
    hostPort: Number(process.env.PORT ?? 7071),
    acrPort: Number(process.env.ACR_PORT ?? 5050),
    aksPort: Number(process.env.AKS_PORT ?? 5060),
    delays: { westeurope: 3000, southeastasia: 8000 },
    reconcileEverySeconds: 5,
    logRequests: true,
    log: (level, message) => (level === 'error' ? console.error(message) : console.log(message)),
  });
  console.log(`
dev-stack: running. Try:
  curl -s -X POST ${stack.acr.url}/_control/push -H 'content-type: application/json' -d '{"repository":"my-app","tag":"1.0.0"}'
  open ${stack.host.url}/api/dashboard          (status page)
  curl -s ${stack.host.url}/api/ledger           (which digest runs where)
  curl -s ${stack.aks.url}/_control/state        (what the simulated clusters run)
Ctrl-C stops everything.`);
  return stack;
});
