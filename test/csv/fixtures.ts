/** The exact 1.2.1 headers from csv.md §5, typed in by hand so that the column specs are checked against the spec text. */
export const HEADERS: Record<string, string> = {
  academicSessions: 'sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear',
  orgs: 'sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId',
  courses: 'sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes',
  classes: 'sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods',
  users: 'sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,preferredGivenName,preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns',
  roles: 'sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId',
  enrollments: 'sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate',
  demographics: 'sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity,countryOfBirthCode,stateOfBirthAbbreviation,cityOfBirth,publicSchoolResidenceStatus',
  userProfiles: 'sourcedId,status,dateLastModified,userSourcedId,profileType,vendorId,applicationId,description,credentialType,username,password',
  categories: 'sourcedId,status,dateLastModified,title,weight',
  lineItems: 'sourcedId,status,dateLastModified,title,description,assignDate,dueDate,classSourcedId,categorySourcedId,academicSessionSourcedId,resultValueMin,resultValueMax,schoolSourcedId',
  results: 'sourcedId,status,dateLastModified,lineItemSourcedId,studentSourcedId,scoreStatus,score,scoreDate,comment,textScore,classSourcedId,inProgress,incomplete,late,missing',
  scoreScales: 'sourcedId,status,dateLastModified,title,type,orgSourcedId,courseSourcedId,classSourcedId,scoreScaleValue',
  lineItemLearningObjectiveIds: 'sourcedId,status,dateLastModified,lineItemSourcedId,source,learningObjectiveId',
  lineItemScoreScales: 'sourcedId,status,dateLastModified,title,lineItemSourcedId,scoreScaleSourcedId',
  resultLearningObjectiveIds: 'sourcedId,status,dateLastModified,resultSourcedId,source,learningObjectiveId,score,textScore',
  resultScoreScales: 'sourcedId,status,dateLastModified,title,resultSourcedId,scoreScaleSourcedId',
  resources: 'sourcedId,status,dateLastModified,vendorResourceId,title,roles,importance,vendorId,applicationId',
  classResources: 'sourcedId,status,dateLastModified,title,classSourcedId,resourceSourcedId',
  courseResources: 'sourcedId,status,dateLastModified,title,courseSourcedId,resourceSourcedId',
  userResources: 'sourcedId,status,dateLastModified,userSourcedId,orgSourcedId,classSourcedId,resourceSourcedId',
};

const file = (key: string, ...rows: string[]) => `${[HEADERS[key], ...rows].join('\n')}\n`;

/** A small valid bulk package: two orgs, a school year and a term, a course, a class, a student and a guardian. */
export function basePackage(): Record<string, string> {
  return {
    orgs: file('orgs', 'd1,,,District,district,,', 's1,,,School One,school,NCES-1,d1'),
    academicSessions: file('academicSessions', 'y1,,,2025,schoolYear,2024-08-01,2025-07-01,,2025', 't1,,,Fall,term,2024-08-01,2025-01-01,y1,2025'),
    courses: file('courses', 'c1,,,y1,Math,M1,"09,10",s1,Mathematics,MATH'),
    classes: file('classes', 'k1,,,Math 1,09,c1,M1-1,scheduled,Room 1,s1,t1,,,"1,2"'),
    users: file('users',
      'u1,,,true,jdoe,"{LDAP:jdoe},{LTI:urn:x:1}",Jane,Doe,,,,,,u2,09,,,,,,s1,',
      'u2,,,true,jdoe2,,John,Doe,,,,,,u1,,,,,,,s1,'),
    roles: file('roles', 'r1,,,u1,primary,student,,,s1,', 'r2,,,u2,primary,guardian,,,s1,'),
    enrollments: file('enrollments', 'e1,,,k1,s1,u1,student,false,2024-08-01,'),
  };
}

export { file as csvFile };
