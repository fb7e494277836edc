// Runs the policy case table (cases.ts) through target resolution and the decision, as the Check
// pipeline does.
import { describe, expect, it } from 'vitest';
import { ResidencyError } from '../../../src/errors/catalog.js';
import { decide } from '../../../src/policy/decide.js';
import { resolveTarget } from '../../../src/policy/targets.js';
import type { TargetHints } from '../../../src/policy/types.js';
import { POLICY_CASES, type PolicyCase } from './cases.js';
import { POLICIES } from './fixture.js';

function hintsOf(to: PolicyCase['to']): TargetHints {
  if (typeof to !== 'string') return { routeTarget: to.route, routeRegion: to.region, authority: 'routed.example.com', path: '/' };
  const slash = to.indexOf('/');
  return { authority: to.slice(0, slash), path: to.slice(slash) };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ResidencyError ? err.code : 'not-a-residency-error';
  }
  return undefined;
}

describe('policy case table', () => {
  it('has enough cases, each named once', () => {
    expect(POLICY_CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(POLICY_CASES.map((c) => c.name)).size).toBe(POLICY_CASES.length);
  });

  it.each(POLICY_CASES)('$name', ({ policy = 'main', from, to, expect: want }) => {
    const config = POLICIES[policy];
    if (want.outcome === 'error') {
      expect(codeOf(() => resolveTarget(config, hintsOf(to)))).toBe(want.code);
      return;
    }
    const decision = decide(config, from, resolveTarget(config, hintsOf(to)));
    const got = {
      outcome: decision.outcome,
      rule: decision.rule,
      code: decision.code ?? null,
      target: decision.target.name,
      rerouteTo: decision.outcome === 'reroute' ? decision.rerouteTo : null,
      profile: decision.outcome === 'allow-masked' ? decision.profile : null,
      intended: decision.intended ?? null,
      dryRun: decision.dryRun,
      wouldDeny: decision.wouldDeny,
    };
    expect(got).toEqual({
      outcome: want.outcome,
      rule: want.rule,
      code: want.code ?? null,
      target: want.target ?? decision.target.name,
      rerouteTo: want.rerouteTo ?? null,
      profile: want.profile ?? null,
      intended: want.intended ?? null,
      dryRun: want.intended !== undefined,
      wouldDeny: want.wouldDeny ?? false,
    });
    expect(decision.originRegion).toBe(from);
    if (want.masking) expect(decision.masking).toEqual(want.masking);
  });
});
