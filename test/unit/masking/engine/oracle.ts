// Independent, slow reference implementations for the property tests: the text semantics tried
// position by position with sticky patterns, and the JSON semantics on parsed values.
import { FIELD_REPLACEMENT, hashToken, partialMask } from '../../../../src/masking/engine/actions.js';
import type { MaskingProfile } from '../../../../src/masking/types.js';

/** At each position the longest accepted candidate (first rule on ties) wins; else move one unit. */
export function referenceMaskText(text: string, profile: MaskingProfile): string {
  const sticky = profile.rules.map((r) => ({ rule: r, re: new RegExp(r.detector.pattern.source, `${r.detector.pattern.flags.replace('g', '')}y`) }));
  let out = '';
  let last = 0;
  let p = 0;
  while (p < text.length) {
    let best: { value: string; replacement: string } | undefined;
    for (const { rule, re } of sticky) {
      re.lastIndex = p;
      const m = re.exec(text);
      if (m === null || m[0] === '' || (rule.detector.validate !== undefined && !rule.detector.validate(m[0]))) continue;
      if (best !== undefined && m[0].length <= best.value.length) continue;
      const replacement =
        rule.action === 'redact' ? rule.detector.label : rule.action === 'partial' ? partialMask(m[0]) : hashToken(rule.detector.label, m[0], profile.hashKey!);
      best = { value: m[0], replacement };
    }
    if (best === undefined) {
      p += 1;
      continue;
    }
    out += text.slice(last, p) + best.replacement;
    p += best.value.length;
    last = p;
  }
  return out + text.slice(last);
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The expected parsed output of maskJson for a parsed input: values under `redactKey(path)` become
 * "[REDACTED]", strings are masked, numbers a detector matches become strings.
 */
export function referenceMaskJson(value: Json, profile: MaskingProfile, redact: (path: readonly (string | number)[]) => boolean, path: (string | number)[] = []): Json {
  if (path.length > 0 && redact(path)) return FIELD_REPLACEMENT;
  if (typeof value === 'string') return referenceMaskText(value, profile);
  if (typeof value === 'number') {
    const literal = JSON.stringify(value);
    const masked = referenceMaskText(literal, profile);
    return masked === literal ? value : masked;
  }
  if (Array.isArray(value)) return value.map((v, i) => referenceMaskJson(v, profile, redact, [...path, i]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, referenceMaskJson(v, profile, redact, [...path, k])]));
  }
  return value;
}
