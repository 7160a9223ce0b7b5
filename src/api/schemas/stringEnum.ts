// A string enum as plain JSON Schema `enum` (clearer in the OpenAPI document than anyOf of consts).
import { Type, type TUnsafe } from 'typebox';

export function StringEnum<const T extends readonly string[]>(values: T, options: { description: string }): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}
