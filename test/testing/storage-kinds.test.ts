/** Every storage kind passes the storage conformance suite. */
import { DockerStorage, LocalStorage, ModuleStorage } from "sluice";
import { runStorageConformance } from "sluice/testing";
import { firstFlow, secondFlow } from "./fixtures/storage-flows.js";

runStorageConformance("local", {
  type: "LocalStorage",
  create: () => new LocalStorage(),
  fromSerialized: (serialized) => LocalStorage.fromSerialized(serialized),
  flows: [firstFlow, secondFlow],
});

runStorageConformance("module", {
  type: "ModuleStorage",
  create: () => new ModuleStorage({ module: "sluice" }),
  fromSerialized: (serialized) => ModuleStorage.fromSerialized(serialized),
  flows: [firstFlow, secondFlow],
  loadSkipReason: "no package installed here exports a flow (test/storage/local-module-storage.test.ts covers its load failure)",
});

runStorageConformance("docker", {
  type: "DockerStorage",
  create: () => new DockerStorage({ imageName: "conformance", imageTag: "1" }),
  fromSerialized: (serialized) => DockerStorage.fromSerialized(serialized),
  flows: [firstFlow, secondFlow],
  loadSkipReason: "its flows live inside the built image (test/storage/docker-storage.test.ts loads them there)",
});
