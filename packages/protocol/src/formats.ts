import { FormatRegistry } from '@sinclair/typebox';

// TypeBox refuses values whose `format` it does not know; register the ones our schemas use,
// with the same meaning as ajv-formats gives them on the HTTP edge.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$/;

/**
 * The last time accepted: the events of one burst (every line of a log poll, say) share their
 * time, and the regex with Date.parse was a tenth of the agent spool's check for each of them.
 */
let lastDateTime = '';

if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (value) => {
    if (value === lastDateTime) return true;
    if (!DATE_TIME.test(value) || Number.isNaN(Date.parse(value))) return false;
    lastDateTime = value;
    return true;
  });
}
