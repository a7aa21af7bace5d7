import { InMemoryStatusStore } from "../../src/engine/inMemoryStatusStore.js";
import { statusStoreContract } from "./statusStoreContract.js";

statusStoreContract("in-memory status store", async () => ({ store: new InMemoryStatusStore(), close: async () => undefined }));
