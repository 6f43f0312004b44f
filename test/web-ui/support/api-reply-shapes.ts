import ts from 'typescript';
import { join, resolve } from 'node:path';

/**
 * The reply shapes web-ui/ declares itself instead of naming the API's (issue 13 item 10), found
 * with the TypeScript checker over web-ui/ as `tsc -p .` compiles it: for each call of
 * `api()` (web-ui/api.ts), the type its reply is read as, whether written (`api<Ban[]>`) or
 * inferred from where it goes (`const r: { ok: boolean } = await api(…)`), and every object type
 * in it (through unions, intersections and arrays) declared in a file of web-ui/; and every
 * `as { … }` cast (a shape written inline). A type declared in appliance/ or system/ and named
 * through web-ui/types.ts is the producer's, so renaming one of its fields fails the type check.
 * `probes`: extra files, path relative to web-ui/ → source, compiled with the rest (the test
 * uses them to show each kind of local shape is found). Returns `file:line what` per finding.
 */
export function localReplyShapes(repo: string, probes: Readonly<Record<string, string>> = {}): string[] {
  const webUi = resolve(repo, 'web-ui') + '/';
  const config = ts.readConfigFile(join(repo, 'tsconfig.json'), ts.sys.readFile).config;
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, repo);
  const virtual = new Map(Object.entries(probes).map(([rel, text]) => [resolve(webUi, rel), text]));
  const host = ts.createCompilerHost(parsed.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (f) => virtual.has(resolve(f)) || ts.sys.fileExists(f);
  host.readFile = (f) => virtual.get(resolve(f)) ?? ts.sys.readFile(f);
  host.getSourceFile = (f, lang, ...rest) => {
    const text = virtual.get(resolve(f));
    return text === undefined ? getSourceFile(f, lang, ...rest) : ts.createSourceFile(f, text, lang);
  };
  const roots = [...parsed.fileNames.filter((f) => resolve(f).startsWith(webUi)), ...virtual.keys()];
  const program = ts.createProgram(roots, parsed.options, host);
  const checker = program.getTypeChecker();
  const apiFile = resolve(webUi, 'api.ts');
  const inWebUi = (n: ts.Node) => resolve(n.getSourceFile().fileName).startsWith(webUi);
  const where = (n: ts.Node) => {
    const sf = n.getSourceFile();
    return `${resolve(sf.fileName).slice(webUi.length)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  };
  /** The object types within `t` declared in web-ui/. */
  const local = (t: ts.Type, seen: Set<ts.Type>): string[] => {
    if (seen.has(t)) return [];
    seen.add(t);
    if (t.isUnionOrIntersection()) return t.types.flatMap((x) => local(x, seen));
    if (checker.isArrayType(t) || checker.isTupleType(t)) return checker.getTypeArguments(t as ts.TypeReference).flatMap((x) => local(x, seen));
    const decls = (t.aliasSymbol ?? t.getSymbol())?.getDeclarations() ?? [];
    return decls.some(inWebUi) ? [checker.typeToString(t)] : [];
  };
  const found: string[] = [];
  for (const sf of program.getSourceFiles()) {
    if (!inWebUi(sf)) continue;
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n)) {
        const decl = checker.getResolvedSignature(n)?.getDeclaration();
        if (decl && ts.isFunctionDeclaration(decl) && decl.name?.text === 'api' && resolve(decl.getSourceFile().fileName) === apiFile) {
          const reply = checker.getAwaitedType(checker.getTypeAtLocation(n));
          for (const name of reply ? local(reply, new Set()) : []) found.push(`${where(n)} api() read as ${name}`);
        }
      }
      if (ts.isAsExpression(n)) {
        const inner = ts.isArrayTypeNode(n.type) ? n.type.elementType : n.type;
        if (ts.isTypeLiteralNode(inner)) found.push(`${where(n)} as ${n.type.getText()}`);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return found;
}
