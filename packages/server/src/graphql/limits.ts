/**
 * Query limits as GraphQL validation rules: a depth limit and a simple size limit (fields selected, with
 * fragments expanded). Introspection (__schema, __type) is exempt from both so that GraphiQL and codegen work.
 */
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from './graphql-js.ts';

export const MAX_DEPTH = 8;
export const MAX_FIELDS = 500;

function isIntrospection(name: string): boolean {
  return name === '__schema' || name === '__type';
}

interface Measure {
  depth: number;
  fields: number;
}

/** Depth and field count of a selection set, fragments expanded once per spread (memoized per fragment). */
function measure(
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  memo: Map<string, Measure>,
  visiting: Set<string>,
): Measure {
  let depth = 0;
  let fields = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      if (isIntrospection(sel.name.value)) continue;
      fields += 1;
      if (sel.selectionSet) {
        const m = measure(sel.selectionSet, fragments, memo, visiting);
        depth = Math.max(depth, m.depth + 1);
        fields += m.fields;
      } else {
        depth = Math.max(depth, 1);
      }
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      const m = measure(sel.selectionSet, fragments, memo, visiting);
      depth = Math.max(depth, m.depth);
      fields += m.fields;
    } else {
      const name = sel.name.value;
      let m = memo.get(name);
      if (!m) {
        const frag = fragments.get(name);
        // Unknown or cyclic fragments are reported by the standard rules.
        if (!frag || visiting.has(name)) continue;
        visiting.add(name);
        m = measure(frag.selectionSet, fragments, memo, visiting);
        visiting.delete(name);
        memo.set(name, m);
      }
      depth = Math.max(depth, m.depth);
      fields += m.fields;
    }
  }
  return { depth, fields };
}

/** Refuses operations deeper than maxDepth or selecting more than maxFields fields. */
export function queryLimitsRule(maxDepth = MAX_DEPTH, maxFields = MAX_FIELDS): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of context.getDocument().definitions) {
      if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    }
    const memo = new Map<string, Measure>();
    return {
      OperationDefinition(node) {
        const m = measure(node.selectionSet, fragments, memo, new Set());
        const name = node.name ? `"${node.name.value}"` : 'The operation';
        if (m.depth > maxDepth) {
          context.reportError(
            new GraphQLError(`${name} is ${m.depth} levels deep; the limit is ${maxDepth}.`, {
              nodes: [node],
              extensions: { code: 'QUERY_TOO_DEEP' },
            }),
          );
        }
        if (m.fields > maxFields) {
          context.reportError(
            new GraphQLError(`${name} selects ${m.fields} fields; the limit is ${maxFields}.`, {
              nodes: [node],
              extensions: { code: 'QUERY_TOO_COMPLEX' },
            }),
          );
        }
        return false;
      },
    };
  };
}
