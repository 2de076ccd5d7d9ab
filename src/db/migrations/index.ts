import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122000000_initial } from './Migration20261122000000_initial';
import { Migration20261201000000_millisecond_timestamps } from './Migration20261201000000_millisecond_timestamps';
import { Migration20261215000000_outbox } from './Migration20261215000000_outbox';
import { Migration20261216000000_outbox_lease } from './Migration20261216000000_outbox_lease';

/**
 * Every migration, in order. Listed explicitly (not globbed from disk) so the same list works
 * under tsx, compiled JavaScript and Jest alike.
 */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261122000000_initial', class: Migration20261122000000_initial },
  { name: 'Migration20261201000000_millisecond_timestamps', class: Migration20261201000000_millisecond_timestamps },
  { name: 'Migration20261215000000_outbox', class: Migration20261215000000_outbox },
  { name: 'Migration20261216000000_outbox_lease', class: Migration20261216000000_outbox_lease },
];
