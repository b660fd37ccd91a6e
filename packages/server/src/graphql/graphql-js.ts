/**
 * graphql-js, the same instance Mercurius uses. graphql 16 ships CommonJS and ESM builds; Mercurius
 * (CommonJS) loads the former, an ESM `import` the latter, and classes from one fail `instanceof` (and
 * schema checks) in the other. Everything of graphql-js this folder uses at run time comes from here.
 */
import { createRequire } from 'node:module';

type GraphQLModule = typeof import('graphql');
const graphql = createRequire(import.meta.url)('graphql') as GraphQLModule;

export const { GraphQLError, GraphQLScalarType, Kind, specifiedRules, validate, valueFromASTUntyped } = graphql;
export type GraphQLError = import('graphql').GraphQLError;
export type {
  ASTVisitor,
  DocumentNode,
  ExecutionResult,
  FragmentDefinitionNode,
  GraphQLSchema,
  SelectionSetNode,
  ValidationContext,
  ValidationRule,
} from 'graphql';
