// Collects findings in the order the rules find them.
import { formatPath, type Path } from './json.js';
import { RULES, type Finding, type RuleId, type Severity } from './types.js';

export class Report {
  readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();

  /** Adds a finding with the rule's default severity unless one is given; a repeat (same rule and path) is dropped. */
  add(rule: RuleId, path: Path, message: string, severity: Severity = RULES[rule].severity): void {
    const where = formatPath(path);
    const key = `${rule}\u0000${where}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.findings.push({ rule, severity, path: where, message });
  }
}
