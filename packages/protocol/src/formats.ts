import { FormatRegistry } from '@sinclair/typebox';

// TypeBox refuses values whose `format` it does not know; register the ones our schemas use,
// with the same meaning as ajv-formats gives them on the HTTP edge.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$/;

if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (value) => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)));
}
