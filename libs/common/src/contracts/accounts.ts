/**
 * Contracts of the gateway's account settings.
 * A change to a payload is a new versioned key, never an edit.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { getCountries } from 'libphonenumber-js/max';

/** ISO 3166-1 alpha-2 codes libphonenumber knows (the countries a number can be in). */
export const KNOWN_COUNTRIES: readonly string[] = getCountries();
/** Where an account may send SMS until it says otherwise. */
export const DEFAULT_ALLOWED_DESTINATION_COUNTRIES: readonly string[] = ['GB'];
export const DEFAULT_QUIET_HOURS = { start: '21:00', end: '09:00' } as const;
/** Optional, but never null: a setting always has a value (omit the field to keep it). */
const IsOptionalNotNull = () => ValidateIf((_: unknown, value: unknown) => value !== undefined);
/** Largest monthly token budget an account can set. */
export const MONTHLY_TOKEN_BUDGET_MAX = 1_000_000_000_000;
const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

export class QuietHoursDto {
  @ApiProperty({ example: '21:00', description: 'HH:MM, 24-hour, recipient local time' })
  @Matches(HH_MM, { message: 'quiet_hours.start must be a time HH:MM (00:00-23:59)' })
  start: string;

  @ApiProperty({ example: '09:00', description: 'HH:MM, 24-hour, recipient local time' })
  @Matches(HH_MM, { message: 'quiet_hours.end must be a time HH:MM (00:00-23:59)' })
  end: string;
}

export class AccountSettingsDto {
  @ApiProperty({
    type: [String],
    example: ['GB'],
    description: 'ISO 3166-1 alpha-2 countries outbound SMS may go to (default ["GB"])',
  })
  allowed_destination_countries: string[];

  @ApiProperty({ type: QuietHoursDto })
  quiet_hours: QuietHoursDto;

  @ApiProperty({ description: 'Whether campaigns respect quiet hours unless they say otherwise' })
  respect_quiet_hours_default: boolean;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description:
      "LLM tokens the account's agents may use per calendar month (UTC), 0 = unlimited; null = the deployment's default",
  })
  monthly_token_budget: number | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  updated_at: string | null;
}

/** `PATCH /v1/account/settings`: every field optional; what is given replaces what was stored. */
export class UpdateAccountSettingsBody {
  @ApiPropertyOptional({
    type: [String],
    minItems: 1,
    maxItems: 250,
    example: ['GB', 'IE'],
    description: 'ISO 3166-1 alpha-2 country codes (case-insensitive; duplicates are dropped)',
  })
  @IsOptionalNotNull()
  @Transform(({ value }: { value: unknown }) =>
    Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v.trim().toUpperCase() : v)) : value,
  )
  @IsArray({ message: 'allowed_destination_countries must be an array of country codes' })
  @ArrayMinSize(1, { message: 'allowed_destination_countries must name at least 1 country' })
  @ArrayMaxSize(250, { message: 'allowed_destination_countries must name at most 250 countries' })
  @IsIn(KNOWN_COUNTRIES as string[], {
    each: true,
    message: 'allowed_destination_countries must hold ISO 3166-1 alpha-2 country codes, e.g. GB',
  })
  allowed_destination_countries?: string[];

  @ApiPropertyOptional({ type: QuietHoursDto })
  @IsOptionalNotNull()
  @IsObject({ message: 'quiet_hours must be an object {start, end}' })
  @ValidateNested()
  @Type(() => QuietHoursDto)
  quiet_hours?: QuietHoursDto;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsBoolean({ message: 'respect_quiet_hours_default must be a boolean' })
  respect_quiet_hours_default?: boolean;

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 0,
    example: 2_000_000,
    description: 'LLM tokens per calendar month (UTC), 0 = unlimited; null = back to the deployment default',
  })
  @ValidateIf((_: unknown, value: unknown) => value !== undefined && value !== null)
  @IsInt({
    message: 'monthly_token_budget must be a whole number of tokens, 0 (unlimited) or null (default)',
  })
  @Min(0, { message: 'monthly_token_budget must be 0 (unlimited) or more' })
  @Max(MONTHLY_TOKEN_BUDGET_MAX, {
    message: `monthly_token_budget must be at most ${MONTHLY_TOKEN_BUDGET_MAX}`,
  })
  monthly_token_budget?: number | null;
}

/**
 * Published (through the gateway's outbox, in the transaction that changed
 * them) with the account's whole settings; `version` rises by one per
 * change, so a consumer keeps the highest it has seen and ignores replays
 * and reordering.
 */
export interface AccountSettingsChangedEvent {
  account_id: string;
  version: number;
  allowed_destination_countries: string[];
  quiet_hours: { start: string; end: string };
  respect_quiet_hours_default: boolean;
}

export const AccountsEvents = {
  settingsChanged: 'accounts.settings-changed.v1',
} as const;

export interface AccountsEventMap {
  [AccountsEvents.settingsChanged]: AccountSettingsChangedEvent;
}
