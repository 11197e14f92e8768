"""The store's servicers, one module per gRPC service or per small group of related ones:
`tasks` (TaskService), `workspaces` (WorkspaceService), `people` (IdentityService,
PairingService), `work` (ObjectiveService, ApprovalService), `ledgers` (JournalService,
DeliveryService, LeaseService, AuditService) and `cursors` (CursorService). Each method is
proto in, domain call, proto out; `server.build_server` mounts them."""
