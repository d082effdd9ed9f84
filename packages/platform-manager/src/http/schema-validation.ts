import { issueMessage } from '@bulwark/protocol';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance, FastifySchemaCompiler, FastifyTypeProvider } from 'fastify';

/** Lets handlers see `Static<typeof Schema>` for the TypeBox schemas of their route. */
export interface TypeBoxProvider extends FastifyTypeProvider {
  validator: this['schema'] extends TSchema ? import('@sinclair/typebox').Static<this['schema']> : unknown;
  serializer: this['schema'] extends TSchema ? import('@sinclair/typebox').Static<this['schema']> : unknown;
}

const MAX_ISSUES = 20;

/**
 * Route schemas are checked by TypeBox (the same checker as `parseWith` on every other edge).
 * Bodies are checked as sent: no coercion, no defaults, no removal of unknown members, so a
 * body with a field the schema does not name is refused. Query strings and path parameters
 * arrive as strings and are converted to the schema's types first.
 */
const compileValidator: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = TypeCompiler.Compile(schema);
  const convert = httpPart === 'querystring' || httpPart === 'params' || httpPart === 'headers';
  return (data: unknown) => {
    let value = data;
    if (convert) {
      value = Value.Convert(schema, Value.Default(schema, Value.Clone(data ?? {})));
    }
    if (check.Check(value)) return { value };
    const validation: { instancePath: string; message: string }[] = [];
    for (const error of check.Errors(value)) {
      validation.push({ instancePath: error.path, message: issueMessage(error) });
      if (validation.length >= MAX_ISSUES) break;
    }
    const error = Object.assign(new Error(validation.map((v) => `${v.instancePath || '/'} ${v.message}`).join('; ')), {
      validation,
    });
    return { error };
  };
};

export function installSchemaValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(compileValidator);
}
