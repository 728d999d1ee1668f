import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { AppError } from '../errors';

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export class PageQuery {
  @ApiPropertyOptional({
    description: 'The `next_cursor` of the previous page; omit it for the first page',
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({ description: 'Page size', type: 'integer', minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

/**
 * The OpenAPI class of a `Page<T>` (interfaces leave no metadata behind):
 * `class AgentPage extends PageOf(AgentDto) {}`.
 */
export function PageOf<T>(item: new () => T): new () => Page<T> {
  class PageDto implements Page<T> {
    @ApiProperty({ type: () => [item], description: 'Newest first' })
    data: T[];

    @ApiProperty({
      type: String,
      nullable: true,
      description: 'Pass it as `cursor` for the next page; null on the last page',
    })
    next_cursor: string | null;
  }
  return PageDto;
}

/**
 * Keyset cursors over (created_at DESC, id DESC): opaque to clients, stable
 * under inserts, and an index range scan however deep the page.
 */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [iso, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const createdAt = new Date(iso);
    if (typeof id !== 'string' || Number.isNaN(createdAt.getTime())) throw new Error('bad');
    return { createdAt, id };
  } catch {
    throw new AppError('invalid_cursor', 'The cursor is not one this API returned');
  }
}
