// Event bodies as Function Compute, EventBridge and MNS send them, trimmed to
// the fields that vary between tests. The shapes follow the samples in the
// FC OSS trigger and EventBridge (OSS events, MNS event source) documentation.

export interface ObjectRef {
  bucket: string;
  key: string;
  etag: string;
  size?: number;
  eventName?: string;
}

/** One record of an FC OSS trigger event. */
export function ossRecord(o: ObjectRef): Record<string, unknown> {
  return {
    eventName: o.eventName ?? 'ObjectCreated:PutObject',
    eventSource: 'acs:oss',
    eventTime: '2024-05-01T08:00:00.000Z',
    eventVersion: '1.0',
    oss: {
      bucket: { arn: `acs:oss:cn-hangzhou:1234567890:${o.bucket}`, name: o.bucket, ownerIdentity: '1234567890', virtualBucket: '' },
      object: { deltaSize: o.size ?? 1000, eTag: o.etag, key: o.key, size: o.size ?? 1000 },
      ossSchemaVersion: '1.0',
      ruleId: '9adac8e253828f4f7c0466d941fa3db81161e853',
    },
    region: 'cn-hangzhou',
    requestParameters: { sourceIPAddress: '140.205.0.1' },
    responseElements: { requestId: '58F9FF2D3DF792092E12044C' },
    userIdentity: { principalId: '1234567890' },
  };
}

/** The FC OSS trigger body: {events: [...]}. */
export function fcOssEvent(...objects: ObjectRef[]): Record<string, unknown> {
  return { events: objects.map(ossRecord) };
}

/** An EventBridge CloudEvent for an OSS event: the FC record is its `data`. */
export function eventBridgeOssEvent(o: ObjectRef): Record<string, unknown> {
  const eventName = o.eventName ?? 'ObjectCreated:PutObject';
  return {
    id: '69B1A2C3D4E5F60A8',
    source: 'acs.oss',
    specversion: '1.0',
    type: `oss:${eventName}`,
    datacontenttype: 'application/json;charset=utf-8',
    subject: `acs:oss:cn-hangzhou:1234567890:${o.bucket}/${o.key}`,
    time: '2024-05-01T08:00:00.000Z',
    aliyunaccountid: '1234567890',
    aliyunpublishtime: '2024-05-01T08:00:00.682Z',
    aliyuneventbusname: 'default',
    aliyunregionid: 'cn-hangzhou',
    data: ossRecord({ ...o, eventName }),
  };
}

/** An EventBridge CloudEvent from an MNS queue; `body` is the message text as sent. */
export function mnsEvent(body: string | Record<string, unknown>, messageId = 'C6DB60D1574661357FA227277445A1B2'): Record<string, unknown> {
  return {
    id: 'bffb9722-9c48-407b-9895-b038f78f0001',
    source: 'acs:mns',
    specversion: '1.0',
    type: 'mns:Queue:SendMessage',
    datacontenttype: 'application/json; charset=utf-8',
    subject: 'acs:mns:cn-hangzhou:1234567890:queues/transcode-jobs',
    time: '2024-05-01T08:00:00.093Z',
    aliyunpublishtime: '2024-05-01T08:00:01.367Z',
    aliyuneventbusname: 'jobs-bus',
    data: { requestId: '606EA3074344430D4C81ABCD', messageId, messageBody: body },
  };
}
