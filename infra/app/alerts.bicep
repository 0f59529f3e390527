// Alert rules on what the app exports to Application Insights (OpenTelemetry metrics in
// customMetrics, structured log lines in traces), to one action group that e-mails a person:
//   region failed           customMetrics rollout.outcomes {state: failed}                 per region
//   replication timed out   customMetrics rollout.outcomes {state: replication-timed-out}  per region
//   release halted          traces rollout.transition to halted                            per release
//   region stuck            traces rollout.stuck (no progress for policy.stuckAfterSeconds) per region
//   wake-up poisoned        traces wakeup.poisoned (each timer run while it is in the poison queue) per release
// Log search alerts (scheduledQueryRules) evaluate every 5 minutes over the last 5 minutes, so
// one event alerts once; they resolve by themselves.

param location string = resourceGroup().location
param tags object = {}
@description('Resource id of the Application Insights component the app exports to.')
param applicationInsightsId string
@description('E-mail address the action group notifies.')
param alertEmail string
param namePrefix string = 'rollout'

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-${namePrefix}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: take('rollout', 12)
    enabled: true
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var outcomeQuery = '''
customMetrics
| where name == 'rollout.outcomes' and tostring(customDimensions.state) == '{state}'
| summarize count = sum(valueSum) by region = tostring(customDimensions.region)
'''

var rules = [
  {
    key: 'region-failed'
    title: 'A region rollout failed'
    severity: 1
    dimension: 'region'
    query: replace(outcomeQuery, '{state}', 'failed')
  }
  {
    key: 'replication-timed-out'
    title: 'A region replica did not get the image in time'
    severity: 2
    dimension: 'region'
    query: replace(outcomeQuery, '{state}', 'replication-timed-out')
  }
  {
    key: 'release-halted'
    title: 'A release was halted: later waves will not roll out'
    severity: 1
    dimension: 'releaseId'
    query: '''
traces
| where message has 'rollout.transition' and message has 'halted'
| extend e = parse_json(message)
| where tostring(e.event) == 'rollout.transition' and tostring(e.to) == 'halted'
| summarize count = count() by releaseId = tostring(e.releaseId)
'''
  }
  {
    key: 'region-stuck'
    title: 'A region rollout made no progress (region.stuck)'
    severity: 2
    dimension: 'region'
    query: '''
traces
| where message has 'rollout.stuck'
| extend e = parse_json(message)
| where tostring(e.event) == 'rollout.stuck'
| summarize count = dcount(tostring(e.releaseId)) by region = tostring(e.region)
'''
  }
  {
    key: 'wakeup-poisoned'
    title: 'A queue wake-up failed 5 times and sits in the poison queue'
    severity: 2
    dimension: 'releaseId'
    query: '''
traces
| where message has 'wakeup.poisoned'
| extend e = parse_json(message)
| where tostring(e.event) == 'wakeup.poisoned'
| summarize count = count() by releaseId = tostring(e.releaseId)
'''
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for r in rules: {
    name: 'alert-${namePrefix}-${r.key}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: r.title
      description: 'acr-geo-rollout: ${r.title}. See GET /api/releases and /api/notifications.'
      severity: r.severity
      enabled: true
      scopes: [
        applicationInsightsId
      ]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT5M'
      autoMitigate: true
      criteria: {
        allOf: [
          {
            query: r.query
            timeAggregation: 'Total'
            metricMeasureColumn: 'count'
            operator: 'GreaterThan'
            threshold: 0
            dimensions: [
              {
                name: r.dimension
                operator: 'Include'
                values: [
                  '*'
                ]
              }
            ]
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroups: [
          actionGroup.id
        ]
      }
    }
  }
]

output actionGroupId string = actionGroup.id
output alertRuleNames array = [for (r, i) in rules: alertRules[i].name]
