// The TypeORM CLI's data source (migration:generate / migration:run), configured by DATABASE_URL
// like the server: `DATABASE_URL=mariadb://root@127.0.0.1:3306/roster npm run migration:generate -- migrations/mysql/Name`.
import "reflect-metadata";
import { loadConfig } from "./src/config/config";
import { createDataSource } from "./src/platform/data-source";

export default createDataSource(loadConfig().database);
