import { ConfigError } from '../errors/index.ts';

/** The longest dial-plan pattern accepted (a route or an inbound `did`). */
export const MAX_PATTERN_LENGTH = 200;

/**
 * Why a dial-plan regular expression could backtrack catastrophically, or undefined when it
 * cannot (pure). JavaScript's engine backtracks: a repeated group that itself repeats or
 * branches (`(9+)+`, `(1|11)*`, `(\d{2,}){3,}`) can take exponential time on a number that
 * almost matches, and the pattern runs for every INVITE, so such patterns are refused (the
 * "star height > 1" rule of safe-regex, plus alternation under repetition). A dial plan needs
 * neither: character classes and bounded single repeats (`[2-9][0-9]{6}`) say everything.
 * Back-references are refused too (matching them is NP-hard in general).
 */
export function backtrackingRisk(source: string): string | undefined {
  if (source.length > MAX_PATTERN_LENGTH) return `longer than ${MAX_PATTERN_LENGTH} characters`;
  /** Per open group: it contains a repeat / an alternation (at any depth). */
  const stack: { repeats: boolean; branches: boolean }[] = [{ repeats: false, branches: false }];
  /** The atom a quantifier would apply to: a closed group (and whether it is risky), or a single character. */
  let last: { group: boolean; risky: boolean } | undefined;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    const top = stack[stack.length - 1];
    if (c === '\\') {
      const n = source[i + 1] ?? '';
      if (/[1-9]/.test(n) || (n === 'k' && source[i + 2] === '<')) return 'back-references are not allowed';
      i++;
      last = { group: false, risky: false };
    } else if (c === '[') {
      // A character class is one atom, whatever it contains.
      let j = i + 1;
      if (source[j] === '^') j++;
      if (source[j] === ']') j++;
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
      i = j;
      last = { group: false, risky: false };
    } else if (c === '(') {
      stack.push({ repeats: false, branches: false });
      // (?: (?= (?! (?<= (?<! (?<name>: the group's kind, not atoms.
      if (source[i + 1] === '?') {
        const m = /^\?(?::|=|!|<=|<!|<[A-Za-z_$][\w$]*>)/.exec(source.slice(i + 1));
        if (m) i += m[0].length;
      }
      last = undefined;
    } else if (c === ')') {
      if (stack.length === 1) return undefined; // unbalanced: new RegExp reports it
      const g = stack.pop()!;
      const parent = stack[stack.length - 1];
      parent.repeats ||= g.repeats;
      parent.branches ||= g.branches;
      last = { group: true, risky: g.repeats || g.branches };
    } else if (c === '|') {
      top.branches = true;
      last = undefined;
    } else if (c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(,\d*)?\}/.test(source.slice(i)))) {
      let bounded = c === '?';
      if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i))!;
        // {n} and {0,1} repeat a fixed or at most one time; anything else is a loop.
        bounded = m[2] === undefined || m[3] === '1';
        i += m[0].length - 1;
      }
      if (source[i + 1] === '?') i++; // lazy: same risk
      if (last?.group && last.risky && !bounded) return 'a repeated group that itself repeats or branches (catastrophic backtracking)';
      top.repeats = true;
      last = undefined;
    } else {
      last = { group: false, risky: false };
    }
  }
  return undefined;
}

/**
 * A dial-plan regular expression from the config or an admin: it must compile and be safe
 * to run on every INVITE ({@link backtrackingRisk}); the error names the key.
 */
export function dialPattern(text: string, key: string): RegExp {
  let re: RegExp;
  try {
    re = new RegExp(text);
  } catch (err) {
    throw new ConfigError(key, `${JSON.stringify(text)} is not a valid regular expression: ${(err as Error).message}`);
  }
  const risk = backtrackingRisk(text);
  if (risk) throw new ConfigError(key, `${JSON.stringify(text)} is refused: ${risk}`);
  return re;
}
