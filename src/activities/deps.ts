// Everything activities depend on, handed to the factory so tests can wire their own.
import type { Config } from '../config';
import type { Stores } from '../storage/stores';

export interface ActivityDeps {
  config: Config;
  stores: Stores;
}
