import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Quoted SQL names of an entity's table and columns, from its TypeORM
 * metadata (the entity is the one declaration), for the statements that are
 * written by hand: the single-statement hot paths.
 */
export function tableOf(ds: DataSource, entity: EntityTarget<ObjectLiteral>): string {
  const meta = ds.getMetadata(entity);
  return meta.schema ? `"${meta.schema}"."${meta.tableName}"` : `"${meta.tableName}"`;
}

export function columnOf<T extends ObjectLiteral>(
  ds: DataSource,
  entity: EntityTarget<T>,
  property: keyof T & string,
): string {
  const column = ds.getMetadata(entity).findColumnWithPropertyName(property);
  if (!column) throw new Error(`no column for ${property}`);
  return `"${column.databaseName}"`;
}
