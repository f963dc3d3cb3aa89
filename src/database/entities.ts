/** Every entity, listed explicitly (no globbing: works the same under ts-jest, the build and the TypeORM CLI). */
export const ENTITIES: Function[] = [];
