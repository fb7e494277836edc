import { describe, expect, it } from 'vitest';
import { Readiness } from '../../../src/admin/readiness.js';

describe('Readiness', () => {
  it('starts not ready (starting), and is ready once no reason is raised', () => {
    const r = new Readiness();
    expect(r.state).toEqual({ ready: false, reasons: ['starting'] });
    r.set('starting', false);
    expect(r.state).toEqual({ ready: true, reasons: [] });
  });

  it('names every raised reason in a fixed order, and tells listeners of changes only', () => {
    const r = new Readiness();
    const heard: string[][] = [];
    r.onChange((s) => heard.push([...s.reasons]));
    r.set('starting', false);
    r.set('no_valid_config', true);
    r.set('audit_unwritable', true);
    r.set('audit_unwritable', true);
    r.set('draining', true);
    expect(r.state.reasons).toEqual(['draining', 'audit_unwritable', 'no_valid_config']);
    expect(heard).toEqual([[], ['no_valid_config'], ['audit_unwritable', 'no_valid_config'], ['draining', 'audit_unwritable', 'no_valid_config']]);
  });
});
