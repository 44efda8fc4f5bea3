// Initiates the three-member replica set once; a no-op when it already exists.
try {
  rs.status();
} catch (e) {
  rs.initiate({
    _id: "rs0",
    members: [
      { _id: 0, host: "mongo1:27017" },
      { _id: 1, host: "mongo2:27017" },
      { _id: 2, host: "mongo3:27017" },
    ],
  });
}
while (!db.hello().isWritablePrimary && !db.hello().primary) { sleep(500); }
